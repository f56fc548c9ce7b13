/**
 * Global setup of the browser tests: builds the app (electron-vite) so the headless server can serve the
 * renderer exactly as it ships, and points the tests at it (`out/renderer`).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const started = Date.now()
  const result = spawnSync('npx', ['electron-vite', 'build'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  })
  if (result.status !== 0) {
    throw new Error(`Could not build the renderer for the browser tests:\n${result.stdout}\n${result.stderr}`)
  }
  const rendererDir = fileURLToPath(new URL('../../out/renderer', import.meta.url))
  if (!existsSync(`${rendererDir}/index.html`)) throw new Error(`The build left no ${rendererDir}/index.html`)
  console.log(`[build-renderer] built in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  process.env.CODEX_RENDERER_DIR = rendererDir
}
