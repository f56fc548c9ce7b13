/**
 * electron-builder's beforePack hook (electron-builder.yml): refuses to pack a target whose native
 * binaries are not installed (npm installs only the host's), naming the command that installs them.
 */
import { requiredPackages, targetPlatform } from './platform-packages.mjs'

/** Throws when `platform`'s binary packages are missing from `root`/node_modules. */
export function checkPlatformPackages(root, platform) {
  const missing = requiredPackages(root, targetPlatform(platform)).filter((p) => !p.installed)
  if (missing.length === 0) return
  const names = missing.map((p) => `${p.name}@${p.version}`).join(', ')
  throw new Error(
    `Packaging for ${platform} needs ${names} (npm installs only this machine's). ` +
      `Run \`node scripts/platform-packages.mjs ${platform}\` first (the dist:* scripts do).`,
  )
}

export default async function beforePack(context) {
  checkPlatformPackages(context.packager.info.projectDir, context.electronPlatformName)
}
