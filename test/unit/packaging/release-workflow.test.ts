import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { getConfig } from 'app-builder-lib/out/util/config/config'
import { minimatch } from 'minimatch'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { installArgs, requiredPackages } from '../../../scripts/platform-packages.mjs'
import { missingReleaseSecrets } from '../../../scripts/release-check.mjs'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const at = (path: string): string => join(root, path)

interface Step {
  name?: string
  run?: string
  uses?: string
}
interface Workflow {
  on: { push?: { tags?: string[] } }
  permissions?: Record<string, string>
  jobs: Record<
    string,
    {
      'runs-on': string
      strategy: { matrix: { include: Array<{ os: string; target: string }> } }
      env: Record<string, string>
      steps: Step[]
    }
  >
}

const workflow = async (): Promise<Workflow> =>
  parse(await readFile(at('.github/workflows/release.yml'), 'utf8')) as Workflow

const RELEASE_ENV = {
  GH_TOKEN: 'gh',
  CSC_LINK: 'cert.p12',
  CSC_KEY_PASSWORD: 'pw',
  WIN_CSC_LINK: 'win.pfx',
  WIN_CSC_KEY_PASSWORD: 'pw',
  APPLE_ID: 'dev@example.com',
  APPLE_APP_SPECIFIC_PASSWORD: 'abcd-efgh',
  APPLE_TEAM_ID: 'TEAM123',
}

describe('the release workflow', () => {
  it('builds the three installers on their own runners, for a version tag', async () => {
    const wf = await workflow()
    expect(wf.on.push?.tags).toEqual(['v*'])
    expect(wf.permissions).toEqual({ contents: 'write' })
    const job = wf.jobs.installers
    expect(job?.['runs-on']).toBe('${{ matrix.os }}')
    expect(job?.strategy.matrix.include).toEqual([
      { os: 'macos-latest', target: 'mac' },
      { os: 'windows-latest', target: 'win' },
      { os: 'ubuntu-latest', target: 'linux' },
    ])
  })

  it('checks the secrets first, installs the target’s native packages, then builds and publishes signed', async () => {
    const steps = (await workflow()).jobs.installers?.steps ?? []
    const runs = steps.map((s) => s.run ?? s.uses ?? '')
    const index = (pattern: RegExp): number => runs.findIndex((r) => pattern.test(r))
    const check = index(/^node scripts\/release-check\.mjs \$\{\{ matrix\.target \}\}$/)
    const install = index(/^npm ci\b/)
    const natives = index(/^node scripts\/platform-packages\.mjs \$\{\{ matrix\.target \}\}$/)
    const dist = index(/^npm run dist:\$\{\{ matrix\.target \}\} -- --publish always/)
    expect([check, install, natives, dist].every((i) => i >= 0)).toBe(true)
    expect(check).toBeLessThan(install)
    expect(install).toBeLessThan(natives)
    expect(natives).toBeLessThan(dist)
    // electron-builder would skip signing without a certificate: forced for the two signed targets.
    expect(runs[dist]).toContain("-c.forceCodeSigning=${{ matrix.target != 'linux' }}")
    const env = (await workflow()).jobs.installers?.env ?? {}
    expect(env.GH_TOKEN).toBe('${{ secrets.GITHUB_TOKEN }}')
    for (const name of [
      'APPLE_ID',
      'APPLE_APP_SPECIFIC_PASSWORD',
      'APPLE_TEAM_ID',
      'WIN_CSC_LINK',
      'CSC_LINK',
    ]) {
      expect(env[name], name).toMatch(/secrets\./)
    }
  })

  it('the dist:* scripts it runs install the target’s packages before electron-builder', async () => {
    const { scripts } = JSON.parse(await readFile(at('package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    for (const target of ['mac', 'win', 'linux']) {
      expect(scripts[`dist:${target}`]).toBe(
        `node scripts/platform-packages.mjs ${target} && electron-vite build && electron-builder --${target}`,
      )
    }
  })

  it('release-check fails the job, naming each missing secret; passes when all are set', async () => {
    expect(missingReleaseSecrets('mac', {})).toEqual([
      expect.stringMatching(/^publishing .*GH_TOKEN/),
      expect.stringMatching(/^signing .*CSC_LINK \+ CSC_KEY_PASSWORD/),
      expect.stringMatching(
        /^notarization: .*APPLE_API_KEY .*APPLE_ID \+ APPLE_APP_SPECIFIC_PASSWORD \+ APPLE_TEAM_ID/,
      ),
    ])
    expect(missingReleaseSecrets('mac', { ...RELEASE_ENV, APPLE_TEAM_ID: ' ' })).toEqual([
      expect.stringMatching(/^notarization/),
    ])
    expect(missingReleaseSecrets('win', { GH_TOKEN: 'gh' })).toEqual([
      expect.stringMatching(/^signing .*WIN_CSC_LINK/),
    ])
    expect(missingReleaseSecrets('linux', {})).toEqual([expect.stringMatching(/^publishing/)])
    for (const target of ['mac', 'win', 'linux'])
      expect(missingReleaseSecrets(target, RELEASE_ENV)).toEqual([])

    const run = (target: string, env: Record<string, string>) =>
      promisify(execFile)(process.execPath, [at('scripts/release-check.mjs'), target], {
        env: { PATH: process.env.PATH ?? '', ...env },
      }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? -1,
          out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
        }),
      )
    const failed = await run('mac', { GH_TOKEN: 'gh' })
    expect(failed.code).toBe(1)
    expect(failed.out).toMatch(/refusing to build a release[\s\S]*CSC_LINK[\s\S]*APPLE_ID/)
    expect(await run('mac', RELEASE_ENV)).toMatchObject({ code: 0 })
  })
})

describe('electron-builder.yml for releases', () => {
  it('publishes drafts to GitHub releases and builds the zip electron-updater needs on macOS', async () => {
    const config = await getConfig(root, null, null)
    expect(config.publish).toEqual([{ provider: 'github', releaseType: 'draft' }])
    const macTargets = (config.mac?.target ?? []) as Array<{ target: string; arch: string }>
    expect(macTargets.map((t) => `${t.target}:${t.arch}`)).toEqual(['dmg:universal', 'zip:universal'])
  })

  it('notarizes macOS builds (and the workflow makes missing credentials fatal)', async () => {
    const config = await getConfig(root, null, null)
    expect(config.mac?.notarize).toBe(true)
    expect(config.mac?.hardenedRuntime).toBe(true)
  })

  it('the .deb depends on git, keeps electron-builder’s default dependencies, and recommends Docker', async () => {
    const config = await getConfig(root, null, null)
    expect(config.deb?.depends).toEqual(
      expect.arrayContaining(['git', 'libgtk-3-0', 'libnss3', 'libsecret-1-0', 'xdg-utils', 'libatspi2.0-0']),
    )
    expect(config.deb?.recommends).toEqual(['docker.io'])
    // The renderer sandbox stays on: no --no-sandbox to work around AppArmor (see README).
    expect(JSON.stringify(config.linux ?? {})).not.toContain('no-sandbox')
  })

  it('both slices of the universal app may carry both keyring binaries (the rule @electron/universal applies)', async () => {
    const config = await getConfig(root, null, null)
    const rule = config.mac?.x64ArchFiles
    expect(rule).toBeDefined()
    for (const file of [
      'Contents/Resources/app.asar.unpacked/node_modules/@napi-rs/keyring-darwin-x64/keyring.darwin-x64.node',
      'Contents/Resources/app.asar.unpacked/node_modules/@napi-rs/keyring-darwin-arm64/keyring.darwin-arm64.node',
    ]) {
      expect(minimatch(file, rule ?? '', { matchBase: true }), file).toBe(true)
    }
    expect(minimatch('Contents/Frameworks/Electron Framework.framework/Electron Framework', rule ?? '')).toBe(
      false,
    )
  })

  it('the beforePack hook exists and each target’s binary packages are the installed keyring’s version', async () => {
    const config = await getConfig(root, null, null)
    expect(config.beforePack).toBe('scripts/before-pack.mjs')
    expect((await stat(at('scripts/before-pack.mjs'))).isFile()).toBe(true)
    const { version } = JSON.parse(
      await readFile(at('node_modules/@napi-rs/keyring/package.json'), 'utf8'),
    ) as {
      version: string
    }
    const names = (platform: 'darwin' | 'win32' | 'linux') =>
      requiredPackages(root, platform).map((p) => p.name)
    expect(names('darwin')).toEqual(['@napi-rs/keyring-darwin-x64', '@napi-rs/keyring-darwin-arm64'])
    expect(names('win32')).toEqual(['@napi-rs/keyring-win32-x64-msvc'])
    expect(names('linux')).toEqual(['@napi-rs/keyring-linux-x64-gnu'])
    const win = requiredPackages(root, 'win32').map((p) => ({ ...p, installed: false }))
    expect(installArgs(win)).toEqual([
      'install',
      '--no-save',
      '--force',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `@napi-rs/keyring-win32-x64-msvc@${version}`,
    ])
    expect(installArgs(win.map((p) => ({ ...p, installed: true })))).toBeUndefined()
  })
})
