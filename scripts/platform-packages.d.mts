export type TargetPlatform = 'darwin' | 'win32' | 'linux'
export interface PlatformPackage {
  name: string
  version: string
  installed: boolean
}
export const NATIVE_PARENTS: string[]
export const TARGET_SUFFIXES: Record<TargetPlatform, string[]>
export function targetPlatform(name: string): TargetPlatform
export function requiredPackages(root: string, platform: TargetPlatform): PlatformPackage[]
export function installArgs(packages: PlatformPackage[]): string[] | undefined
