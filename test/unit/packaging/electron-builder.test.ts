import { execFile } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses'
import { PlatformPackager, type Configuration } from 'app-builder-lib'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { DebugLogger } from 'builder-util'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { tempDir } from '../../support/tmp'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const at = (path: string): string => join(root, path)

interface Target {
  target: string
  arch?: string | string[]
}
interface PlatformConfig {
  icon?: string
  target?: Array<Target | string>
  category?: string
  hardenedRuntime?: boolean
  entitlements?: string
}
interface BuilderYaml {
  appId?: string
  productName?: string
  files?: string[]
  directories?: { buildResources?: string; output?: string }
  extraResources?: Array<{ from: string; to: string; filter?: string[] }>
  mac?: PlatformConfig
  win?: PlatformConfig
  linux?: PlatformConfig
  electronFuses?: Record<string, boolean>
}

/** The fuses of the packaged binary, as electron-builder.yml names them (app-builder-lib's FuseOptionsV1). */
const FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
}

/** @electron/fuses' sentinel: the fuse wire follows it in every Electron binary (version, length, states). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const ON = 0x31
const OFF = 0x30

/** A stand-in Electron binary whose fuse wire holds Electron's defaults. */
async function fakeElectron(path: string): Promise<void> {
  //                 node  cookie nodeOpts inspect asarInt onlyAsar v8snap fileProto
  const defaults = [ON, OFF, ON, ON, OFF, OFF, OFF, ON]
  await writeFile(
    path,
    Buffer.concat([
      Buffer.from('\x7fELF…machine code…'),
      Buffer.from(SENTINEL),
      Buffer.from([1, defaults.length, ...defaults]),
      Buffer.from('…more machine code'),
    ]),
  )
}

async function loadYaml(): Promise<BuilderYaml> {
  return parse(await readFile(at('electron-builder.yml'), 'utf8')) as BuilderYaml
}

const targetsOf = (platform: PlatformConfig | undefined): Target[] =>
  (platform?.target ?? []).map((t) => (typeof t === 'string' ? { target: t } : t))

/** Width, height, bit depth and colour type from a PNG's IHDR chunk. */
async function pngHeader(path: string) {
  const bytes = await readFile(path)
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  expect(bytes.toString('latin1', 12, 16)).toBe('IHDR')
  return {
    width: bytes.readUInt32BE(16),
    height: bytes.readUInt32BE(20),
    depth: bytes[24],
    colourType: bytes[25],
  }
}

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own loader and configuration schema', async () => {
    const config = await getConfig(root, null, null)
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
    expect(config.appId).toBe('dev.codex-sys.app')
  })

  it('the schema check is real: an unknown option is refused', async () => {
    const config = await getConfig(root, null, null)
    const broken = { ...config, mac: { ...config.mac, notAnOption: true } }
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/configuration\.mac/)
  })

  it('flips the hardening fuses in the packaged config', async () => {
    expect((await loadYaml()).electronFuses).toEqual(FUSES)
    // What electron-builder itself loads and validates (getConfig also merges defaults and extends).
    const config = await getConfig(root, null, null)
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
    expect(config.electronFuses).toEqual(FUSES)
    expect(config.electronFuses?.runAsNode).toBe(false)
    expect(config.electronFuses?.enableNodeOptionsEnvironmentVariable).toBe(false)
    expect(config.electronFuses?.enableNodeCliInspectArguments).toBe(false)
    expect(config.electronFuses?.enableEmbeddedAsarIntegrityValidation).toBe(true)
    expect(config.electronFuses?.onlyLoadAppFromAsar).toBe(true)
    expect(config.electronFuses?.grantFileProtocolExtraPrivileges).toBe(false)
    // onlyLoadAppFromAsar needs an asar; the renderer is served on app://, never file://.
    expect(config.asar).toBe(true)
    expect(await readFile(at('src/main/index.ts'), 'utf8')).not.toMatch(/loadFile\(|file:\/\//)
  })

  it('the schema check covers the fuses: a misspelt fuse is refused', async () => {
    const config = await getConfig(root, null, null)
    const broken = {
      ...config,
      electronFuses: { ...config.electronFuses, runAsNodee: false },
    } as Configuration
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/electronFuses/)
  })

  it('electron-builder’s own fuse step writes those values into the binary’s fuse wire', async () => {
    const config = await getConfig(root, null, null)
    const appOutDir = await tempDir('codex-fuses-')
    const binary = join(appOutDir, 'codex-sys')
    await fakeElectron(binary)
    // The packager's doAddElectronFuses (run by electron-builder right before signing) on a Linux layout.
    const packager = Object.create(PlatformPackager.prototype, {
      config: { value: config },
      appInfo: { value: { productFilename: 'codex-sys' } },
    }) as { doAddElectronFuses(ctx: { appOutDir: string; electronPlatformName: string }): Promise<void> }
    await packager.doAddElectronFuses({ appOutDir, electronPlatformName: 'linux' })
    const wire = (await getCurrentFuseWire(binary)) as unknown as Record<number, number>
    const state = (on: boolean): number => (on ? ON : OFF)
    expect(wire[FuseV1Options.RunAsNode]).toBe(state(false))
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(state(true))
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(state(false))
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(state(false))
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(state(true))
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(state(true))
    expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(state(false))
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(state(false))
  })

  it('has an app id, a product name and the build resources in resources/', async () => {
    const config = await loadYaml()
    expect(config.appId).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/)
    expect(config.productName).toBe('codex-sys')
    expect(config.directories).toEqual({ buildResources: 'resources', output: 'dist' })
  })

  it('builds a universal dmg (and the zip auto-update needs) for macOS, nsis for Windows, AppImage and deb for Linux', async () => {
    const { mac, win, linux } = await loadYaml()
    expect(targetsOf(mac)).toEqual([
      { target: 'dmg', arch: 'universal' },
      { target: 'zip', arch: 'universal' },
    ])
    expect(mac?.category).toBe('public.app-category.developer-tools')
    expect(mac?.hardenedRuntime).toBe(true)
    const entitlements = await readFile(at(mac?.entitlements ?? 'missing'), 'utf8')
    expect(entitlements).toContain('com.apple.security.cs.allow-jit')
    expect(targetsOf(win).map((t) => t.target)).toEqual(['nsis'])
    expect(
      targetsOf(linux)
        .map((t) => t.target)
        .sort(),
    ).toEqual(['AppImage', 'deb'])
  })

  it('ships the built app only: out/** and package.json, never sources or tests', async () => {
    const { files } = await loadYaml()
    const included = (files ?? []).filter((f) => !f.startsWith('!'))
    expect(included.sort()).toEqual(['out/**', 'package.json'])
    for (const pattern of files ?? []) expect(pattern).not.toMatch(/^(src|test|bench|scripts)\b/)
    const pkg = JSON.parse(await readFile(at('package.json'), 'utf8')) as {
      main: string
      scripts: Record<string, string>
      dependencies: Record<string, string>
      devDependencies: Record<string, string>
    }
    expect(pkg.main).toMatch(/^\.\/out\//)
    expect(pkg.scripts.dist).toMatch(/electron-vite build && electron-builder/)
    // electron-builder needs Electron as a dev dependency, never bundled as a dependency.
    expect(pkg.devDependencies.electron).toBeDefined()
    expect(pkg.dependencies.electron).toBeUndefined()
  })

  it('puts agent-image/ beside the app, where the main process looks for it', async () => {
    const { extraResources } = await loadYaml()
    expect(extraResources).toContainEqual(expect.objectContaining({ from: 'agent-image', to: 'agent-image' }))
    expect((await stat(at('agent-image/Dockerfile'))).isFile()).toBe(true)
    const main = await readFile(at('src/main/index.ts'), 'utf8')
    expect(main).toMatch(/join\(process\.resourcesPath, 'agent-image'\)/)
  })

  it('uses a 1024×1024 RGBA PNG icon on every platform', async () => {
    const config = await loadYaml()
    for (const platform of [config.mac, config.win, config.linux]) {
      expect(platform?.icon).toBe('resources/icon.png')
    }
    expect(await pngHeader(at('resources/icon.png'))).toEqual({
      width: 1024,
      height: 1024,
      depth: 8,
      colourType: 6,
    })
  })

  it('the icon is what resources/make-icon.mjs draws', async () => {
    const out = join(await tempDir('codex-icon-'), 'icon.png')
    await promisify(execFile)(process.execPath, [at('resources/make-icon.mjs'), out])
    expect((await readFile(out)).equals(await readFile(at('resources/icon.png')))).toBe(true)
  })

  it('builds the preload as CommonJS, as a sandboxed renderer needs', async () => {
    const viteConfig = await readFile(at('electron.vite.config.ts'), 'utf8')
    expect(viteConfig).toMatch(/format: 'cjs', entryFileNames: '\[name\]\.cjs'/)
    const main = await readFile(at('src/main/index.ts'), 'utf8')
    expect(main).toContain("'../preload/index.cjs'")
  })
})
