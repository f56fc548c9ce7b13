#!/usr/bin/env node
/**
 * Native packages ship one binary per platform as optional dependencies (@napi-rs/keyring-darwin-arm64,
 * -win32-x64-msvc, …) and npm installs only the host's. Before packaging for a target, install the
 * target's (same version as the installed parent, without touching package.json or the lockfile);
 * electron-builder's beforePack hook (scripts/before-pack.mjs) refuses to pack a target whose binaries
 * are missing, so a cross build never ships an app without its keychain.
 *
 *   node scripts/platform-packages.mjs mac|win|linux [--dry-run]
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The packages with per-platform binaries, and the binaries each target of electron-builder.yml needs. */
export const NATIVE_PARENTS = ['@napi-rs/keyring']
/** mac is universal (both slices carry both binaries), win and linux are x64 (see electron-builder.yml). */
export const TARGET_SUFFIXES = {
  darwin: ['darwin-x64', 'darwin-arm64'],
  win32: ['win32-x64-msvc'],
  linux: ['linux-x64-gnu'],
}
const ALIASES = { mac: 'darwin', win: 'win32', linux: 'linux', darwin: 'darwin', win32: 'win32' }

/** 'mac' | 'win' | 'linux' (electron-builder's names) or a Node platform, as a Node platform. */
export function targetPlatform(name) {
  const platform = ALIASES[name]
  if (!platform) throw new Error(`Unknown target "${name}": use mac, win or linux.`)
  return platform
}

/** `{ name, version, installed }` for every binary package `platform` needs, read from `root`. */
export function requiredPackages(root, platform) {
  const out = []
  for (const parent of NATIVE_PARENTS) {
    const manifest = JSON.parse(readFileSync(join(root, 'node_modules', parent, 'package.json'), 'utf8'))
    const optional = manifest.optionalDependencies ?? {}
    for (const suffix of TARGET_SUFFIXES[platform]) {
      const name = `${parent}-${suffix}`
      const version = optional[name]
      if (!version) throw new Error(`${parent}@${manifest.version} has no binary package ${name}.`)
      const installedAt = join(root, 'node_modules', name, 'package.json')
      const installed =
        existsSync(installedAt) && JSON.parse(readFileSync(installedAt, 'utf8')).version === version
      out.push({ name, version, installed })
    }
  }
  return out
}

/** The npm arguments that install the missing ones, or undefined when nothing is missing. */
export function installArgs(packages) {
  const missing = packages.filter((p) => !p.installed)
  if (missing.length === 0) return undefined
  // --force: they are for another OS/CPU; --no-save: package.json and the lockfile stay as they are.
  return [
    'install',
    '--no-save',
    '--force',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    ...missing.map((p) => `${p.name}@${p.version}`),
  ]
}

function main(argv) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const platform = targetPlatform(argv[0] ?? process.platform)
  const args = installArgs(requiredPackages(root, platform))
  if (!args) return console.log(`platform packages for ${platform}: all installed`)
  console.log(`npm ${args.join(' ')}`)
  if (argv.includes('--dry-run')) return
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  execFileSync(npm, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2))
