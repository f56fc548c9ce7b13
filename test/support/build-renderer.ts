/**
 * Global setup of the browser tests: builds the app (electron-vite) so the headless server can serve the
 * renderer exactly as it ships, and points the tests at it (`out/renderer`). A build that is already newer
 * than every file it is made from (`npm run build` just ran, or an earlier test run) is used as it is;
 * `CODEX_REBUILD_RENDERER=1` forces a new one.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const rendererDir = join(root, 'out/renderer')

/** What the renderer bundle is made from: its sources, the shared types, and the build's configuration. */
const BUILD_INPUTS = [
  'src/renderer',
  'src/shared',
  'electron.vite.config.ts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.base.json',
  'tsconfig.web.json',
]

/** Every file's mtime under `path` (the path itself when it is a file; nothing when it is missing). */
function mtimes(path: string): number[] {
  if (!existsSync(path)) return []
  const st = statSync(path)
  if (!st.isDirectory()) return [st.mtimeMs]
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs)
}

/**
 * Whether `out/renderer` was built after the last change to what it is made from: its oldest file (the
 * build's start, near enough) is newer than the newest input.
 */
export function rendererIsFresh(): boolean {
  if (!existsSync(join(rendererDir, 'index.html'))) return false
  const built = mtimes(rendererDir)
  const inputs = BUILD_INPUTS.flatMap((p) => mtimes(join(root, p)))
  return Math.min(...built) > Math.max(...inputs)
}

function build(): void {
  const result = spawnSync('npx', ['electron-vite', 'build'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  })
  if (result.status !== 0) {
    throw new Error(`Could not build the renderer for the browser tests:\n${result.stdout}\n${result.stderr}`)
  }
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The build left no ${rendererDir}/index.html`)
  }
}

export default function setup(): void {
  const started = Date.now()
  if (process.env.CODEX_REBUILD_RENDERER !== '1' && rendererIsFresh()) {
    console.log(`[build-renderer] out/renderer is newer than its sources: kept (${Date.now() - started} ms)`)
  } else {
    build()
    console.log(`[build-renderer] built in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  }
  process.env.CODEX_RENDERER_DIR = rendererDir
}
