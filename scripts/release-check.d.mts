export const REQUIREMENTS: Record<'mac' | 'win' | 'linux', Array<{ what: string; anyOf: string[][] }>>
export function missingReleaseSecrets(target: string, env: NodeJS.ProcessEnv): string[]
