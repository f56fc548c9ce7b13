import { spawn, type ChildProcess } from 'node:child_process'
import { constants, tmpdir } from 'node:os'
import { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { ExecOptions, ExecResult, Workspace } from '../../src/main/agent/tools/tool'
import { WORKSPACE_DIR } from '../../src/main/docker/container-spec'
import { runExec } from '../../src/main/docker/exec'
import { sandboxUser } from '../../src/main/docker/workspace-owner'

/** Where codex-tool (and its modules) live: on PATH, as in the agent image. */
const AGENT_IMAGE_DIR = fileURLToPath(new URL('../../agent-image', import.meta.url))

type Container = Parameters<typeof runExec>[0]

/** What runExec asks of an exec: its config (docker's names), a stream to start, an inspect for the exit. */
interface ExecConfig {
  Cmd: string[]
  Env?: string[]
  WorkingDir?: string
}

/**
 * A Workspace that runs commands on the host in a directory standing in for /workspace, through the
 * product's own `runExec` (src/main/docker/exec.ts): its timeout wrapper, its marker in every process's
 * environment, its framed stdin, its output caps and its cancel, which kills every marked process (the
 * command and whatever it started) with the product's kill script. Only the container is stood in for: a
 * "container" whose exec spawns the argv on the host, with /workspace mapped into the directory and
 * codex-tool on PATH (CODEX_WORKSPACE points it at the directory).
 */
export class LocalWorkspace implements Workspace {
  /** Every argv run, in order. */
  readonly calls: string[][] = []
  private readonly container: Container

  constructor(readonly root: string) {
    this.container = hostContainer(root)
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(argv)
    if (!argv[0]) throw new Error('exec: empty argv')
    const { exitCode, stdout, stderr, timedOut, truncated } = await runExec(
      this.container,
      sandboxUser(),
      argv,
      opts,
    )
    return { exitCode, stdout, stderr, timedOut, truncated }
  }
}

/** Enough of a Docker container for runExec: `exec(config)` runs the config's Cmd on the host. */
function hostContainer(root: string): Container {
  const map = (path: string): string =>
    path === WORKSPACE_DIR || path.startsWith(`${WORKSPACE_DIR}/`)
      ? root + path.slice(WORKSPACE_DIR.length)
      : path
  const container = {
    exec: async (config: ExecConfig) => hostExec(config, root, map),
  }
  return container as unknown as Container
}

function hostExec(config: ExecConfig, root: string, map: (path: string) => string) {
  let child: ChildProcess | undefined
  let exit: number | undefined
  const env: Record<string, string> = {
    // Like the container: a bare environment (no secrets, no user dotfiles for bash -l to run).
    PATH: `${AGENT_IMAGE_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LANG: 'C.UTF-8',
    HOME: tmpdir(),
    CODEX_WORKSPACE: root,
  }
  for (const pair of config.Env ?? []) {
    const eq = pair.indexOf('=')
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return {
    start: async (): Promise<Duplex> => {
      const [cmd = '', ...args] = config.Cmd
      const spawned = spawn(cmd, args, {
        cwd: map(config.WorkingDir ?? WORKSPACE_DIR),
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      child = spawned
      spawned.once('exit', (code, signal) => {
        exit = code ?? 128 + (signal ? constants.signals[signal] : 9)
      })
      return muxedStream(spawned)
    },
    // Docker's answer: running until the process exited, then its exit code (128 + signal when killed).
    inspect: async () => ({ Running: Boolean(child) && exit === undefined, ExitCode: exit ?? null }),
  }
}

/** The child's output in Docker's exec framing (8-byte header, then the payload); writes go to its stdin. */
function muxedStream(child: ChildProcess): Duplex {
  let open = 2
  const stream = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _encoding, done) => {
      if (child.stdin?.writable) child.stdin.write(chunk, () => done())
      else done()
    },
  })
  const frame = (type: number) => (payload: Buffer) => {
    const header = Buffer.alloc(8)
    header[0] = type
    header.writeUInt32BE(payload.length, 4)
    stream.push(Buffer.concat([header, payload]))
  }
  const ended = (): void => {
    if (--open === 0) stream.push(null)
  }
  child.stdout?.on('data', frame(1)).once('end', ended)
  child.stderr?.on('data', frame(2)).once('end', ended)
  child.stdin?.on('error', () => undefined)
  child.once('error', (err) => stream.destroy(err))
  stream.once('close', () => child.stdin?.destroy())
  return stream
}
