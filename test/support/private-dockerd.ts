import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { pingEngine } from '../../src/main/docker/engine-probe'

/**
 * A Docker daemon of the test's own: its socket, data root, exec root (and so its own containerd) and pid
 * file under a temp directory, a bridge of its own and no iptables rules, so it neither sees nor touches the
 * machine's daemon (/var/run/docker.sock, which other tests use). Not `--bridge=none`: a daemon started so
 * deletes the host's docker0, and with it the machine daemon's default network (its builds then fail). A test may SIGKILL it and start it again on the
 * same data root, as a restarted dockerd or a Docker Desktop that quit.
 */
export interface PrivateDockerd {
  /** unix:///…/docker.sock, for Settings → Docker → Engine. */
  host: string
  socketPath: string
  /** A client of this daemon only. */
  docker: Docker
  /** Starts the daemon (again) and waits until it answers. */
  start(): Promise<void>
  /** SIGKILL: the daemon dies with no chance to clean up (its containers are killed when it starts again). */
  kill(): Promise<void>
  /** Copies an image of the machine's daemon into this one (docker save | docker load). */
  loadImage(tag: string): Promise<void>
  /** The last lines of the daemon's log (for a failure message). */
  logTail(lines?: number): string
  /** Stops the daemon (SIGTERM) and removes its directory. */
  close(): Promise<void>
}

const START_TIMEOUT_MS = 60_000
/** The private daemon's bridge, on TEST-NET-1 (192.0.2.0/24: documentation only, never routed anywhere). */
const BRIDGE = 'cdxfault0'
const BRIDGE_ADDRESS = '192.0.2.1/24'

function ensureBridge(): void {
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' })
  try {
    ip('link', 'show', BRIDGE)
  } catch {
    ip('link', 'add', BRIDGE, 'type', 'bridge')
    ip('addr', 'add', BRIDGE_ADDRESS, 'dev', BRIDGE)
    ip('link', 'set', BRIDGE, 'up')
  }
}

function removeBridge(): void {
  try {
    execFileSync('ip', ['link', 'delete', BRIDGE], { stdio: 'ignore' })
  } catch {
    // Already gone.
  }
}

export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  const dir = await mkdtemp(join(tmpdir(), 'codex-dockerd-'))
  const socketPath = join(dir, 'docker.sock')
  const host = `unix://${socketPath}`
  const logPath = join(dir, 'dockerd.log')
  const configPath = join(dir, 'daemon.json')
  await mkdir(join(dir, 'data'))
  await mkdir(join(dir, 'exec'))
  await writeFile(configPath, '{}\n')
  const args = [
    `--host=${host}`,
    `--data-root=${join(dir, 'data')}`,
    `--exec-root=${join(dir, 'exec')}`,
    `--pidfile=${join(dir, 'docker.pid')}`,
    `--config-file=${configPath}`,
    `--bridge=${BRIDGE}`,
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
  ]
  const docker = new Docker({ socketPath })
  let child: ChildProcess | undefined

  const logTail = (lines = 20): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } catch {
      return ''
    }
  }
  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => resolve()))

  const start = async (): Promise<void> => {
    ensureBridge()
    const log = openSync(logPath, 'a')
    const proc = spawn('dockerd', args, { stdio: ['ignore', log, log] })
    closeSync(log)
    child = proc
    const deadline = Date.now() + START_TIMEOUT_MS
    while ((await pingEngine(docker, { timeoutMs: 1_000 })) !== 'up') {
      if (proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`The private dockerd did not start:\n${logTail()}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  const kill = async (): Promise<void> => {
    const proc = child
    if (!proc) return
    proc.kill('SIGKILL')
    await exited(proc)
    child = undefined
    // Its containerd may outlive it, or die and leave a pid file a new process may take the number of:
    // either way the next start would wait on it. End it and forget the pid (the shims stay, as after a crash).
    for (const pid of processesNaming(`${dir}/exec/containerd/containerd.toml`)) signal(pid)
    await rm(join(dir, 'exec', 'containerd', 'containerd.pid'), { force: true })
  }

  const loadImage = (tag: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const sh = spawn('sh', ['-c', 'docker save "$1" | docker -H "$2" load -q', 'load', tag, host], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let err = ''
      sh.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
      sh.stdout.resume()
      sh.on('error', reject)
      sh.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`Loading ${tag} into the private dockerd failed: ${err}`)),
      )
    })

  const stop = async (proc: ChildProcess): Promise<void> => {
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
    await exited(proc)
    clearTimeout(timer)
  }

  const close = async (): Promise<void> => {
    // A daemon left dead (a test that failed after the kill) is started once more: on start it kills the
    // containers it had, and on SIGTERM it stops them, so no process of its outlives the test.
    if (!child) await start().catch(() => undefined)
    if (child) await stop(child)
    child = undefined
    killShimsOf(dir)
    removeBridge()
    await unmountUnder(dir)
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
  }

  try {
    await start()
  } catch (err) {
    await close()
    throw err
  }
  return { host, socketPath, docker, start, kill, loadImage, logTail, close }
}

/** Lazily unmounts whatever the daemon left mounted under `dir` (its data root's bind mount, netns), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort()
    .reverse()
  for (const point of mounts) {
    await new Promise<void>((resolve) =>
      spawn('umount', ['-l', point], { stdio: 'ignore' })
        .on('exit', () => resolve())
        .on('error', () => resolve()),
    )
  }
}

/**
 * Kills what is left of this daemon's containers: the containerd shims whose command line names `dir`
 * (its exec root), each with its children (the container's init, whose end ends every process in it).
 */
function killShimsOf(dir: string): void {
  const shims = processesNaming(`${dir}/`, 'containerd-shim')
  const procs = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  const parentOf = new Map<number, number>()
  for (const name of procs) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // Gone meanwhile.
    }
  }
  for (const shim of shims) {
    for (const [pid, parent] of parentOf) if (parent === shim) signal(pid)
    signal(shim)
  }
}

/** The processes whose command line holds `text` (and `also`, when given). */
function processesNaming(text: string, also?: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      if (cmdline.includes(text) && (!also || cmdline.includes(also))) found.push(Number(name))
    } catch {
      // Gone meanwhile.
    }
  }
  return found
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}
