import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkBlock, NetworkPhase, PhaseNetwork } from '../../shared/network'
import type { TaskSource } from '../../shared/task'
import type { ProxyTransport, SandboxNetwork } from '../docker/sandbox'
import { AppError } from '../errors'
import { PolicyProxy } from '../network/policy-proxy'
import { resolvePolicy } from '../network/policy'

/** The model proxy's socket in a phase's socket directory (the relay's 127.0.0.1:3129). */
export const MODEL_SOCKET = 'model.sock'

/** A host server on a socket of the phase's directory (the model proxy of a runtime in the sandbox). */
export interface PhaseSocketServer {
  close(): Promise<void>
}

/** The network one phase's container gets, and what serves it on the host while it runs. */
export interface PhaseNetworkHandle {
  sandbox: SandboxNetwork
  /** The policy proxy of a `registries`/`custom` phase (its pending connections tell a silent setup's wait). */
  proxy?: PolicyProxy
  /** Whether `model.sock` is served (the relay must carry 127.0.0.1:3129). */
  model: boolean
  close(): Promise<void>
}

/**
 * Opens a phase's network: nothing for `off` and `full`; for `registries`/`custom` a policy proxy on a unix
 * socket in `dir` (bind-mounted into the container at /run/codex-net, where a relay serves it on
 * 127.0.0.1:3128; or, with the exec transport, reached through the Docker API's stream from the same
 * port). The policy is read on every request, so hosts the user allows apply at once.
 *
 * With `model` (a runtime inside the sandbox: Codex CLI), `model.sock` is served in `dir` too, in every
 * mode but `full`: `off` then still means nothing but the model — a proxied sandbox with no proxy.sock, so
 * 127.0.0.1:3128 refuses and only 3129 (the model proxy, which holds the key and the budget) answers.
 */
export async function openPhaseNetwork(opts: {
  phase: NetworkPhase
  network: PhaseNetwork
  registries: readonly string[]
  /** Patterns allowed on top of the phase's own: the clone host (setup), hosts the user allowed. */
  extraHosts: () => string[]
  /** A directory of the task's, made anew for this phase. */
  dir: string
  onBlocked: (block: NetworkBlock) => void
  /** How the container reaches the proxy's socket (default: a bind mount of `dir`). */
  transport?: () => Promise<ProxyTransport>
  /** Starts the model proxy on the socket path given (see above). */
  model?: (socketPath: string) => Promise<PhaseSocketServer>
}): Promise<PhaseNetworkHandle> {
  const { mode } = opts.network
  const none = async (): Promise<void> => undefined
  if (mode === 'full' && opts.model) {
    throw new AppError('unsupported', 'The Codex runtime cannot run with the agent network "full" yet.', {
      hint: 'Choose "off", "package registries" or a custom allowlist for the agent phase of a Codex task.',
    })
  }
  if (mode === 'off' && !opts.model) return { sandbox: { kind: 'none' }, model: false, close: none }
  if (mode === 'full') return { sandbox: { kind: 'full' }, model: false, close: none }
  const transport = (await opts.transport?.()) ?? 'socket'
  await rm(opts.dir, { recursive: true, force: true })
  await mkdir(opts.dir, { recursive: true, mode: 0o755 })
  const removeDir = (): Promise<void> => rm(opts.dir, { recursive: true, force: true }).catch(() => undefined)
  let model: PhaseSocketServer | undefined
  try {
    model = await opts.model?.(join(opts.dir, MODEL_SOCKET))
  } catch (err) {
    await removeDir()
    throw err
  }
  const closeModel = async (): Promise<void> => {
    await model?.close().catch(() => undefined)
  }
  if (mode === 'off') {
    const close = async (): Promise<void> => {
      await closeModel()
      await removeDir()
    }
    return { sandbox: { kind: 'proxied', netDir: opts.dir, transport }, model: true, close }
  }
  const proxy = await PolicyProxy.listen({
    socketPath: join(opts.dir, 'proxy.sock'),
    phase: opts.phase,
    policy: () => resolvePolicy(opts.network, { registries: opts.registries, extraHosts: opts.extraHosts() }),
    onBlocked: opts.onBlocked,
  }).catch(async (err: unknown) => {
    await closeModel()
    await removeDir()
    throw err
  })
  return {
    sandbox: { kind: 'proxied', netDir: opts.dir, transport },
    proxy,
    model: model !== undefined,
    close: async () => {
      await proxy.close().catch(() => undefined)
      await closeModel()
      await removeDir()
    },
  }
}

/** The host a Git source was cloned from, as a pattern: setup in `registries` mode may fetch from it. */
export function cloneHostPatterns(source: TaskSource): string[] {
  if (source.kind !== 'git') return []
  const scp = /^[^@/:]+@([^/:]+):/.exec(source.url)
  if (scp) return [`${scp[1]!.toLowerCase()}:22`]
  try {
    const url = new URL(source.url)
    const host = url.hostname.toLowerCase()
    if (!host || /^[\d.]+$/.test(host) || host.startsWith('[')) return []
    return [url.port ? `${host}:${url.port}` : host]
  } catch {
    return []
  }
}

/** How the system prompt describes the agent's network. */
export function networkForPrompt(network: PhaseNetwork, allowed: readonly string[]): string {
  switch (network.mode) {
    case 'off':
      return 'no network access'
    case 'full':
      return 'full network access'
    case 'registries':
      return (
        'network access only to package registries (npm, PyPI, crates.io, Go, Maven, RubyGems, NuGet, ' +
        'Packagist, Debian/Ubuntu/Alpine mirrors, GitHub downloads) through an HTTP proxy that is already ' +
        `configured${hostsPhrase([...network.hosts, ...allowed])}; everything else is refused`
      )
    case 'custom':
      return `network access only to ${[...network.hosts, ...allowed].join(', ') || 'no host'} through an HTTP proxy that is already configured; everything else is refused`
  }
}

const hostsPhrase = (hosts: string[]): string => (hosts.length ? ` and to ${hosts.join(', ')}` : '')
