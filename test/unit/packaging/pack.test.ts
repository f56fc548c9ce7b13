import { execFile } from 'node:child_process'
import { chmod, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { listPackage } from '@electron/asar'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../support/tmp'

/**
 * electron-builder packs for real here: only the Electron binary is missing (it cannot be downloaded), so
 * a stand-in Electron distribution (electronDist) takes its place and the app around it is what a release
 * gets: the asar, its unpacked native binaries, the resources. Dependencies are not rebuilt (npmRebuild:
 * false) since there are no Electron headers here; the release jobs rebuild them on their own runners.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url))
const at = (path: string): string => join(root, path)
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'

async function fakeElectronDist(): Promise<string> {
  const dist = await tempDir('codex-electron-dist-')
  const binary = Buffer.concat([
    Buffer.from(SENTINEL),
    Buffer.from([1, 8, 0x31, 0x30, 0x31, 0x31, 0x30, 0x30, 0x30, 0x31]),
  ])
  for (const name of ['electron', 'electron.exe']) {
    await writeFile(join(dist, name), binary)
    await chmod(join(dist, name), 0o755)
  }
  await mkdir(join(dist, 'resources'))
  return dist
}

interface Packed {
  code: number
  log: string
  appOutDir: string
}

/** `electron-builder --<platform> dir --x64` in `projectDir`, into a temporary folder. */
async function pack(platform: 'linux' | 'win', projectDir = root): Promise<Packed> {
  const output = await tempDir('codex-pack-')
  const args = [
    at('node_modules/electron-builder/cli.js'),
    `--${platform}`,
    'dir',
    '--x64',
    '--publish',
    'never',
    `--projectDir=${projectDir}`,
    `-c.electronDist=${await fakeElectronDist()}`,
    '-c.electronVersion=45.4.1',
    '-c.npmRebuild=false',
    // Windows' asar integrity and icon go into the PE resources of electron.exe, which the stand-in lacks
    // (and rcedit would be downloaded from GitHub).
    ...(platform === 'win' ? ['-c.disableAsarIntegrity=true', '-c.win.signAndEditExecutable=false'] : []),
    `-c.directories.output=${output}`,
  ]
  const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CI: '', GH_TOKEN: '', GITHUB_TOKEN: '' }
  const result = await promisify(execFile)(process.execPath, args, {
    cwd: projectDir,
    env,
    maxBuffer: 64 << 20,
  }).then(
    (r) => ({ code: 0, log: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      log: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  )
  return { ...result, appOutDir: join(output, platform === 'win' ? 'win-unpacked' : 'linux-unpacked') }
}

const asarFiles = (appOutDir: string): string[] =>
  listPackage(join(appOutDir, 'resources', 'app.asar'), { isPack: false })

// A pack copies ~5,000 files: generous on a loaded 2-core machine.
describe('packing the app (electron-builder, here)', { timeout: 180_000 }, () => {
  it('for Linux: the asar holds the app, electron-updater and the keyring with its Linux binary, unpacked', async () => {
    const packed = await pack('linux')
    expect(packed.code, packed.log).toBe(0)
    const files = asarFiles(packed.appOutDir)
    expect(files).toContain('/package.json')
    expect(files).toContain('/node_modules/electron-updater/package.json')
    expect(files).toContain('/node_modules/@napi-rs/keyring/index.js')
    expect(files).toContain('/node_modules/@napi-rs/keyring-linux-x64-gnu/keyring.linux-x64-gnu.node')
    // A native binary cannot be loaded from inside an asar: electron-builder unpacks it beside it.
    const unpacked = join(packed.appOutDir, 'resources', 'app.asar.unpacked', 'node_modules', '@napi-rs')
    expect(
      (await readFile(join(unpacked, 'keyring-linux-x64-gnu', 'keyring.linux-x64-gnu.node'))).length,
    ).toBeGreaterThan(0)
    expect(files.filter((f) => /^\/(src|test|scripts|bench)\//.test(f))).toEqual([])
    expect(await readFile(join(packed.appOutDir, 'resources', 'app-update.yml'), 'utf8')).toContain(
      'codex-sys-updater',
    )
    expect(
      (await readFile(join(packed.appOutDir, 'resources', 'agent-image', 'Dockerfile'))).length,
    ).toBeGreaterThan(0)
  })

  it('for Windows without its keyring binary (npm installed only this machine’s): refuses, naming the fix', async () => {
    const packed = await pack('win')
    expect(packed.code).not.toBe(0)
    expect(packed.log).toContain('Packaging for win32 needs @napi-rs/keyring-win32-x64-msvc@2.1.2')
    expect(packed.log).toContain('node scripts/platform-packages.mjs win32')
  })

  it('for Windows once the target’s package is installed: the packed app carries keyring-win32-x64-msvc', async () => {
    // A project with the same configuration whose node_modules hold what `platform-packages.mjs win`
    // installs (a stand-in binary: only its presence in the package is at stake).
    const project = await tempDir('codex-pack-project-')
    for (const dir of ['scripts', 'resources', 'agent-image']) await symlink(at(dir), join(project, dir))
    await cp(at('electron-builder.yml'), join(project, 'electron-builder.yml'))
    await mkdir(join(project, 'out', 'main'), { recursive: true })
    await writeFile(join(project, 'out', 'main', 'index.js'), 'export {}\n')
    const keyring = JSON.parse(await readFile(at('node_modules/@napi-rs/keyring/package.json'), 'utf8')) as {
      version: string
    }
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'codex-sys',
        version: '0.1.0',
        main: './out/main/index.js',
        dependencies: { '@napi-rs/keyring': keyring.version },
        devDependencies: { electron: '45.4.1' },
      }),
    )
    const modules = join(project, 'node_modules', '@napi-rs')
    await mkdir(modules, { recursive: true })
    await cp(at('node_modules/@napi-rs/keyring'), join(modules, 'keyring'), { recursive: true })
    await mkdir(join(modules, 'keyring-win32-x64-msvc'))
    await writeFile(
      join(modules, 'keyring-win32-x64-msvc', 'package.json'),
      JSON.stringify({
        name: '@napi-rs/keyring-win32-x64-msvc',
        version: keyring.version,
        main: 'keyring.win32-x64-msvc.node',
        os: ['win32'],
        cpu: ['x64'],
      }),
    )
    await writeFile(join(modules, 'keyring-win32-x64-msvc', 'keyring.win32-x64-msvc.node'), 'MZ stand-in')
    const packed = await pack('win', project)
    expect(packed.code, packed.log).toBe(0)
    expect(asarFiles(packed.appOutDir)).toContain(
      '/node_modules/@napi-rs/keyring-win32-x64-msvc/keyring.win32-x64-msvc.node',
    )
  })
})
