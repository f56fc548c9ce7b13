#!/usr/bin/env node
/**
 * Run by the release workflow before electron-builder: fails the job, naming what is missing, when the
 * secrets a signed, notarized, published release needs are not set. electron-builder itself would skip
 * signing or notarization with a warning and ship an installer Gatekeeper or SmartScreen blocks.
 *
 *   node scripts/release-check.mjs mac|win|linux
 */
import { fileURLToPath } from 'node:url'

/** Each requirement: one of its alternatives must have all of its variables set. */
const PUBLISH = { what: 'publishing to GitHub releases', anyOf: [['GH_TOKEN'], ['GITHUB_TOKEN']] }
export const REQUIREMENTS = {
  mac: [
    PUBLISH,
    { what: 'signing (Developer ID Application certificate)', anyOf: [['CSC_LINK', 'CSC_KEY_PASSWORD']] },
    {
      what: 'notarization',
      anyOf: [
        ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'],
        ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'],
      ],
    },
  ],
  win: [
    PUBLISH,
    {
      what: 'signing (code-signing certificate)',
      anyOf: [
        ['WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD'],
        ['CSC_LINK', 'CSC_KEY_PASSWORD'],
      ],
    },
  ],
  // AppImage and deb are not signed.
  linux: [PUBLISH],
}

/** The unmet requirements of `target` in `env`, as messages; empty when the release can go. */
export function missingReleaseSecrets(target, env) {
  const requirements = REQUIREMENTS[target]
  if (!requirements) return [`unknown target "${target}": use mac, win or linux`]
  return requirements
    .filter((r) => !r.anyOf.some((names) => names.every((n) => (env[n] ?? '').trim() !== '')))
    .map((r) => `${r.what}: set ${r.anyOf.map((names) => names.join(' + ')).join(', or ')}`)
}

function main(argv) {
  const target = argv[0] ?? ''
  const missing = missingReleaseSecrets(target, process.env)
  if (missing.length === 0) return console.log(`release-check ${target}: every secret is set`)
  console.error(`release-check ${target}: refusing to build a release that would not be signed or published:`)
  for (const line of missing) console.error(`  - ${line}`)
  console.error('Add them as repository secrets (Settings → Secrets and variables → Actions).')
  process.exitCode = 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2))
