import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ExecOptions, ExecResult, Workspace } from '../../src/main/agent/tools/tool'

const CODEX_TOOL = fileURLToPath(new URL('../../agent-image/codex-tool', import.meta.url))
const ALIAS = '/workspace'

/**
 * A Workspace that runs commands on the host in a directory standing in for /workspace: argv[0]
 * 'codex-tool' runs agent-image/codex-tool with python3, CODEX_WORKSPACE points it at the directory,
 * and a cwd under /workspace maps into the directory. Timeouts kill the whole process group.
 */
export class LocalWorkspace implements Workspace {
  /** Every argv run, in order. */
  readonly calls: string[][] = []

  constructor(readonly root: string) {}

  private map(path: string): string {
    return path === ALIAS || path.startsWith(`${ALIAS}/`) ? this.root + path.slice(ALIAS.length) : path
  }

  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(argv)
    const [cmd, ...rest] = argv[0] === 'codex-tool' ? ['python3', CODEX_TOOL, ...argv.slice(1)] : argv
    if (!cmd) return Promise.reject(new Error('exec: empty argv'))
    const max = opts.maxOutputBytes ?? 64 * 1024 * 1024
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason)
      const child = spawn(cmd, rest, {
        cwd: this.map(opts.cwd ?? ALIAS),
        // Like the container: a bare environment (no secrets, no user dotfiles for bash -l to run).
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          HOME: tmpdir(),
          CODEX_WORKSPACE: this.root,
        },
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      const out = { chunks: [] as Buffer[], size: 0 }
      const err = { chunks: [] as Buffer[], size: 0 }
      let truncated = false
      let timedOut = false
      const collect = (into: { chunks: Buffer[]; size: number }) => (chunk: Buffer) => {
        const room = max - into.size
        if (chunk.length > room) truncated = true
        if (room <= 0) return
        const kept = chunk.subarray(0, room)
        into.chunks.push(kept)
        into.size += kept.length
      }
      child.stdout.on('data', collect(out))
      child.stderr.on('data', collect(err))
      let killTimer: NodeJS.Timeout | undefined
      const signalGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid) process.kill(-child.pid, signal)
        } catch {
          // already gone
        }
      }
      // SIGTERM first, so codex-tool can take down the command it started; SIGKILL if it lingers.
      const killGroup = (): void => {
        signalGroup('SIGTERM')
        killTimer ??= setTimeout(() => signalGroup('SIGKILL'), 1000)
      }
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            timedOut = true
            killGroup()
          }, opts.timeoutMs)
        : undefined
      const onAbort = (): void => {
        killGroup()
        reject(opts.signal?.reason)
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      child.on('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        clearTimeout(killTimer)
        opts.signal?.removeEventListener('abort', onAbort)
        resolve({
          exitCode: code ?? (signal ? 128 + 9 : 1),
          stdout: Buffer.concat(out.chunks).toString('utf8'),
          stderr: Buffer.concat(err.chunks).toString('utf8'),
          timedOut,
          truncated,
        })
      })
      child.stdin.on('error', () => undefined)
      child.stdin.end(opts.stdin ?? '')
    })
  }
}
