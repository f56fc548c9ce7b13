/**
 * The in-container network relay of a proxied sandbox (agent-image/codex-relay): readiness, from the
 * container's log (the relay the main command started) or from an exec (a restart). See
 * `Sandbox.startRelay`.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { toDockerAppError } from './client'
import { RELAY_MODEL_PORT, RELAY_PROXY_PORT } from './container-spec'
import { runExec } from './exec'
import { createDemuxer } from './exec-output'
import { ExecTunnel } from './exec-tunnel'
import type { SandboxUser } from './workspace-owner'

export const RELAY_TIMEOUT_MS = 10_000
const RELAY_LINE = /^codex-relay: (.*)$/m

export interface RelayOptions {
  /** How long the relay may take to accept connections (default 10 s). */
  timeoutMs?: number
  /** The sockets that must be relayed (default: proxy.sock); a missing one is an error. */
  require?: Array<'proxy' | 'model'>
}

/** The ports of codex-relay's `codex-relay: ready 3128 3129` line, or undefined without one. */
export function parseRelayReady(text: string): number[] | undefined {
  const m = /^codex-relay: ready((?: \d+)+)\s*$/m.exec(text)
  return m ? m[1]!.trim().split(' ').map(Number) : undefined
}

function relayFailed(reason: string, hint: string, details?: Record<string, unknown>): AppError {
  return new AppError('container_failed', `The sandbox's network relay did not start: ${reason}`, {
    hint,
    details,
  })
}

const SOCKETS_HINT =
  'Check that the engine serves proxy.sock in the task’s socket directory, then start the task again.'
const slowHint = (ms: number): string =>
  `It did not accept connections within ${ms / 1000} s; the machine may be overloaded — try again.`

/** Waits for the first `codex-relay: …` line of the container's log: the ready line, or why not. */
export async function relayFromLog(container: Docker.Container, timeoutMs: number): Promise<number[]> {
  let stream: NodeJS.ReadableStream & { destroy?: () => void }
  try {
    stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as typeof stream
  } catch (err) {
    throw toDockerAppError(err, 'Could not read the task container’s log')
  }
  let text = ''
  const line = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs)
    const done = (value: string | undefined): void => {
      clearTimeout(timer)
      resolve(value)
    }
    const feed = createDemuxer((_, payload) => {
      text += payload.toString('utf8')
      const m = RELAY_LINE.exec(text)
      if (m && text.includes('\n', m.index)) done(m[0])
    })
    stream.on('data', (chunk: Buffer) => feed(chunk))
    stream.on('end', () => done(RELAY_LINE.exec(text)?.[0] ?? ''))
    stream.on('error', () => done(RELAY_LINE.exec(text)?.[0] ?? ''))
  })
  stream.destroy?.()
  if (line === undefined) throw relayFailed(`no word from it in ${timeoutMs / 1000} s`, slowHint(timeoutMs))
  const ports = parseRelayReady(line)
  if (ports) return ports
  if (!line) {
    throw relayFailed('the container stopped before it was up', SOCKETS_HINT, { log: text.slice(-500) })
  }
  throw relayFailed(line.slice('codex-relay: '.length), SOCKETS_HINT)
}

/** Starts the relay again with `codex-relay --daemon`, which exits once its ports accept. */
export async function relayByExec(
  container: Docker.Container,
  user: SandboxUser,
  timeoutMs: number,
): Promise<number[]> {
  const seconds = (Math.max(100, timeoutMs) / 1000).toFixed(3)
  // The in-container `timeout` and the host's backstop come a little after the relay's own deadline.
  const result = await runExec(container, user, ['codex-relay', '--daemon', '--timeout', seconds], {
    cwd: '/',
    timeoutMs: timeoutMs + 2_000,
  })
  const ports = result.exitCode === 0 ? parseRelayReady(result.stdout) : undefined
  if (ports) return ports
  const said = RELAY_LINE.exec(result.stderr)?.[1]
  const reason = said ?? (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')
  const missing = result.exitCode === 126 || result.exitCode === 127
  throw relayFailed(
    reason || `exit ${result.exitCode}`,
    missing
      ? 'The agent image has no codex-relay: rebuild it (`npm run image`).'
      : result.timedOut
        ? slowHint(timeoutMs)
        : SOCKETS_HINT,
    { exitCode: result.exitCode, timedOut: result.timedOut },
  )
}

/** The relay's ports, when every required socket is among them. */
export function checkRelayPorts(ports: number[], required: Array<'proxy' | 'model'>): number[] {
  const wanted = { proxy: RELAY_PROXY_PORT, model: RELAY_MODEL_PORT }
  const absent = required.filter((name) => !ports.includes(wanted[name]))
  if (absent.length) {
    throw new AppError(
      'container_failed',
      `The sandbox's network relay has no ${absent.map((n) => `${n}.sock`).join(' or ')} to carry.`,
      {
        hint: 'The engine must serve its sockets in the task’s socket directory before the relay starts.',
        details: { ports },
      },
    )
  }
  return ports
}

/**
 * The exec transport's relay (see exec-tunnel.ts): codex-mux in the container, its ports leading to the
 * sockets the engine serves in `netDir` on the host — 3128 to proxy.sock, 3129 to model.sock, each when
 * it is there, as the socket relay decides by what its mount holds.
 */
export async function openTunnel(
  container: Docker.Container,
  user: SandboxUser,
  netDir: string,
  timeoutMs: number,
): Promise<ExecTunnel> {
  const routes = new Map<number, string>()
  for (const [port, name] of [
    [RELAY_PROXY_PORT, 'proxy.sock'],
    [RELAY_MODEL_PORT, 'model.sock'],
  ] as const) {
    const path = join(netDir, name)
    if ((await stat(path).catch(() => undefined))?.isSocket()) routes.set(port, path)
  }
  if (!routes.size) {
    throw relayFailed(`nothing to carry: no proxy.sock or model.sock in ${netDir}`, SOCKETS_HINT)
  }
  return ExecTunnel.open(container, user, routes, timeoutMs)
}
