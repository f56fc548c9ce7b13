import { spawnSync } from 'node:child_process'
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Docker from 'dockerode'
import { testBaseImage, testImage } from '../support/docker'

/** Debian packages the rootless tests need (scripts/rootless-podman.sh installs them when missing). */
export const ROOTLESS_PACKAGES = {
  podman: ['podman', 'uidmap', 'slirp4netns', 'fuse-overlayfs', 'catatonit', 'runc'],
  docker: ['docker.io', 'rootlesskit', 'uidmap', 'slirp4netns'],
}

export const ENGINE_USER = 'codex-podman'
const SCRIPT = fileURLToPath(new URL('../../scripts/rootless-podman.sh', import.meta.url))
const TASK = fileURLToPath(new URL('./rootless-engine-task.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))

export type RootlessKind = keyof typeof ROOTLESS_PACKAGES

export interface RootlessEngine {
  socket: string
  docker: Docker
  /** The unprivileged user the engine runs as. */
  user: { uid: number; gid: number }
  /** Runs argv as that user (HOME and XDG_RUNTIME_DIR set); throws when it fails. */
  asUser: (argv: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }) => string
}

const fail = (kind: RootlessKind, message: string): never => {
  const packages = ROOTLESS_PACKAGES[kind].join(' ')
  throw new Error(
    `Rootless ${kind === 'podman' ? 'Podman' : 'Docker'} is required for this test and did not start: ` +
      `${message}\nIt needs root (to make the user ${ENGINE_USER}) and the Debian packages ${packages} ` +
      `(sudo apt-get install -y ${packages}); scripts/rootless-podman.sh sets it up.`,
  )
}

/**
 * Starts (or finds) the rootless engine of the user codex-podman with `images` copied from the root
 * engine into its storage (scripts/rootless-podman.sh). Fails, never skips, when it cannot.
 */
export function startRootless(kind: RootlessKind, images: string[]): RootlessEngine {
  if (process.getuid?.() !== 0) fail(kind, 'the test must run as root')
  const command = kind === 'podman' ? 'start' : 'start-docker'
  const run = spawnSync('sh', [SCRIPT, command, ...images], { encoding: 'utf8', timeout: 600_000 })
  if (run.error) fail(kind, run.error.message)
  if (run.status !== 0) {
    const last = run.stderr.trim().split('\n').slice(-5).join('\n')
    fail(kind, `${SCRIPT} ${command} exited ${String(run.status)}: ${last}`)
  }
  const socket = run.stdout.trim().split('\n').at(-1) ?? ''
  const uid = Number(spawnSync('id', ['-u', ENGINE_USER], { encoding: 'utf8' }).stdout.trim())
  const gid = Number(spawnSync('id', ['-g', ENGINE_USER], { encoding: 'utf8' }).stdout.trim())
  const asUser: RootlessEngine['asUser'] = (argv, opts = {}) => {
    const env = Object.entries({
      HOME: `/home/${ENGINE_USER}`,
      USER: ENGINE_USER,
      PATH: '/usr/local/bin:/usr/bin:/bin',
      XDG_RUNTIME_DIR: `/run/user/${uid}`,
      ...opts.env,
    }).map(([k, v]) => `${k}=${v}`)
    const r = spawnSync(
      'setpriv',
      [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', 'env', '-i', ...env, ...argv],
      { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
    )
    if (r.error) throw r.error
    if (r.status !== 0) {
      throw new Error(`${argv.join(' ')} as ${ENGINE_USER} exited ${String(r.status)}: ${r.stderr}`)
    }
    return r.stdout
  }
  return { socket, docker: new Docker({ socketPath: socket }), user: { uid, gid }, asUser }
}

/** Stops the engine startRootless started (its storage, with the images, stays for the next run). */
export function stopRootless(kind: RootlessKind): void {
  spawnSync('sh', [SCRIPT, kind === 'podman' ? 'stop' : 'stop-docker'], { timeout: 30_000 })
}

/** A scratch directory the engine user owns (its own data directory, as for an app it runs). */
export async function userDir(
  user: { uid: number; gid: number },
  prefix = 'codex-rootless-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chown(dir, user.uid, user.gid)
  await chmod(dir, 0o755)
  return dir
}

export interface EngineTaskResult {
  status: string
  seconds: number
  files: string[]
  owners: Record<string, number>
  toolOutput: string
  setupLog: string
  logs: string[]
}

/** The scripted task of rootless-engine-task.ts, run by the engine as the engine's user. */
export async function runEngineTaskAsUser(engine: RootlessEngine): Promise<EngineTaskResult> {
  const dir = await userDir(engine.user, 'codex-rootless-engine-')
  try {
    const out = engine.asUser([TSX, TASK, engine.socket, dir], {
      env: { CODEX_BASE_IMAGE: testBaseImage(), CODEX_TEST_IMAGE: testImage() },
      timeoutMs: 300_000,
    })
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as EngineTaskResult
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
