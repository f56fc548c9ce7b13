export function checkPlatformPackages(root: string, platform: string): void
export default function beforePack(context: {
  packager: { info: { projectDir: string } }
  electronPlatformName: string
}): Promise<void>
