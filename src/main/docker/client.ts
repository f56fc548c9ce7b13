import { readFileSync } from 'node:fs'
import type { Agent } from 'node:http'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import Docker from 'dockerode'
import { AppError } from '../errors'
import {
  resolveDockerEndpoint,
  socketPathOfHost,
  type DiscoveryEnv,
  type DockerEndpoint,
} from './engine-discovery'
import { engineAnswers, engineProduct } from './engine-kind'
import { knownHostsVerifier, remoteEngineRefusal, sshUsername } from './remote-auth'
import { SshDockerAgent } from './ssh-transport'

/** Error codes of a socket or pipe with no engine behind it, or an engine that went away. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'ENOTCONN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EACCES',
  'ERR_SOCKET_CLOSED',
])
const CONNECTION_MESSAGES = [
  /socket hang up/i,
  /connect (ECONNREFUSED|ENOENT|EACCES)/i,
  /\bEPIPE\b/,
  /ECONNRESET/,
]

/** How long `checkDocker` waits for an answer before calling the engine unavailable. */
const CHECK_TIMEOUT_MS = 5_000

export interface DockerClientOptions {
  /** Settings → Docker → Engine: a host URL that wins over the environment and the docker context. */
  host?: string
  /** Platform, home, environment and system root to discover the engine from (tests). */
  discovery?: DiscoveryEnv
  /** A remote engine of Settings → Engines: reached there, never discovered (createRemoteDockerClient). */
  fixed?: DockerEndpoint
}

interface ClientState {
  options: DockerClientOptions
  endpoint: DockerEndpoint
}
const clients = new WeakMap<Docker, ClientState>()

/** A certificate file's bytes; a missing or unreadable one is left out (the TLS handshake then says why). */
function readIfPresent(path: string | undefined): Buffer | undefined {
  try {
    return path ? readFileSync(path) : undefined
  } catch {
    return undefined
  }
}

/**
 * dockerode's options for an endpoint. Every connection field is given, even when undefined: the modem
 * otherwise fills them in from DOCKER_HOST, which would override an endpoint found elsewhere.
 */
export function dockerOptionsFor(
  endpoint: DockerEndpoint,
  env: Record<string, string | undefined> = process.env,
): Docker.DockerOptions & { agent?: Agent } {
  const socketPath = socketPathOfHost(endpoint.host)
  const none = { host: undefined, port: undefined, protocol: undefined, socketPath: undefined }
  if (socketPath) return { ...none, socketPath }
  const url = new URL(endpoint.host.replace(/^tcp:\/\//, 'http://'))
  if (url.protocol === 'ssh:') {
    const port = Number(url.port || 22)
    // HTTP over `docker system dial-stdio` channels of kept SSH connections (docker-modem's own ssh transport
    // opens one per request). ssh2 accepts every host key unless given a verifier: known_hosts, as ssh does.
    const agent = new SshDockerAgent({
      host: url.hostname,
      port,
      username: sshUsername(url, env),
      agent: env.SSH_AUTH_SOCK,
      hostVerifier: knownHostsVerifier(url.hostname, port, env),
    })
    return { ...none, protocol: 'http', host: url.hostname, port, agent }
  }
  const tls = endpoint.tls
  const certDir =
    endpoint.source === 'DOCKER_HOST' || endpoint.source === 'setting' ? env.DOCKER_CERT_PATH : undefined
  // The CLI verifies TLS whenever DOCKER_TLS_VERIFY is set to anything.
  const verify = Boolean(env.DOCKER_TLS_VERIFY) && endpoint.source === 'DOCKER_HOST'
  const https = url.protocol === 'https:' || Boolean(tls) || verify || url.port === '2376'
  const files =
    tls ??
    (certDir
      ? { ca: join(certDir, 'ca.pem'), cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') }
      : undefined)
  return {
    ...none,
    protocol: https ? 'https' : 'http',
    host: url.hostname,
    port: url.port || (https ? 2376 : 2375),
    ca: readIfPresent(files?.ca),
    cert: readIfPresent(files?.cert),
    key: readIfPresent(files?.key),
  }
}

/**
 * A Docker client for the engine found the way the docker CLI finds it (see engine-discovery.ts), or the
 * one Settings name. `reconnectDocker` later points the same object at the engine found then.
 */
export function createDockerClient(options: DockerClientOptions = {}): Docker {
  const endpoint = resolveDockerEndpoint({ ...options.discovery, setting: options.host })
  const docker = new Docker(dockerOptionsFor(endpoint, options.discovery?.env))
  clients.set(docker, { options, endpoint })
  return docker
}

/**
 * A client for a remote engine of Settings → Engines: `tcp://` with the client certificates of `certDir`
 * (ca.pem, cert.pem, key.pem, as `docker --tlsverify` reads them), or `ssh://` through the ssh agent.
 */
export function createRemoteDockerClient(config: { host?: string; certDir?: string }): Docker {
  const { certDir } = config
  const tls = certDir
    ? {
        ca: join(certDir, 'ca.pem'),
        cert: join(certDir, 'cert.pem'),
        key: join(certDir, 'key.pem'),
        skipVerify: false,
      }
    : undefined
  const endpoint: DockerEndpoint = { host: config.host ?? '', source: 'setting', tls, notes: [] }
  const docker = new Docker(dockerOptionsFor(endpoint))
  clients.set(docker, { options: { host: endpoint.host, fixed: endpoint }, endpoint })
  return docker
}

/** Where a client made by `createDockerClient` talks to; undefined for one made elsewhere. */
export function dockerEndpointOf(docker: Docker): DockerEndpoint | undefined {
  return clients.get(docker)?.endpoint
}

/**
 * Finds the engine again (Settings, DOCKER_HOST, contexts, sockets: Docker may have started, or a context
 * changed, since) and gives the client a fresh connection to it. The object stays the same — the engine's
 * parts all hold it — only its modem is replaced. `host` replaces the Settings one when given (null
 * clears it). A client not made by `createDockerClient` is left alone.
 */
export function reconnectDocker(docker: Docker, host?: string | null): DockerEndpoint | undefined {
  const state = clients.get(docker)
  if (!state) return undefined
  const options = host === undefined ? state.options : { ...state.options, host: host ?? undefined }
  // A remote engine is where Settings → Engines say: a fresh connection there, certificates read again.
  const endpoint =
    state.options.fixed ?? resolveDockerEndpoint({ ...options.discovery, setting: options.host })
  docker.modem = new Docker(dockerOptionsFor(endpoint, options.discovery?.env)).modem
  clients.set(docker, { options, endpoint })
  return endpoint
}

/** The Settings host a client was made (or last reconnected) with. */
export function dockerHostSettingOf(docker: Docker): string | undefined {
  return clients.get(docker)?.options.host
}

/** What the user should do to get a Docker engine running, for this platform. */
export function dockerStartHint(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin' || platform === 'win32') {
    return 'Start Docker Desktop and wait until it says the engine is running, then try again.'
  }
  return (
    'Start the Docker engine (`sudo systemctl start docker`, or Docker Desktop) and make sure your user may ' +
    'use it (member of the `docker` group), then try again.'
  )
}

/** The HTTP status of an error answered by the engine, if it was one. */
export function dockerStatusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** The engine's own one-line explanation of an API error (its JSON `message`), else the error's message. */
export function dockerErrorMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim()
  }
  const message = err instanceof Error ? err.message : String(err)
  return (message.split('\n')[0] ?? '').trim()
}

/** True when the error says the engine could not be reached or stopped answering (anywhere in the cause chain). */
export function isDockerConnectionError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof AppError) return e.kind === 'docker_unavailable'
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : ''
    if (dockerStatusCode(e) === undefined && CONNECTION_MESSAGES.some((re) => re.test(message))) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** The error for an engine that cannot be reached: `started` says whether it answered earlier. */
export function dockerUnavailable(cause: unknown, started = false): AppError {
  const message = started
    ? 'The Docker engine stopped responding.'
    : 'Docker is not running (no answer from the Docker engine).'
  return new AppError('docker_unavailable', message, {
    hint: dockerStartHint(),
    details: { reason: dockerErrorMessage(cause).slice(0, 300) },
    cause,
  })
}

/**
 * Maps anything dockerode throws to an AppError: connection failures become docker_unavailable
 * ("the Docker engine stopped responding"), anything else `fallback` with the engine's message.
 */
export function toDockerAppError(
  err: unknown,
  what: string,
  fallback: AppError['kind'] = 'container_failed',
): AppError {
  if (err instanceof AppError) return err
  if (isDockerConnectionError(err)) return dockerUnavailable(err, true)
  const status = dockerStatusCode(err)
  return new AppError(fallback, `${what}: ${dockerErrorMessage(err)}`, {
    details: status === undefined ? undefined : { status },
    cause: err,
  })
}

/** Which socket the client talks to, when it is a local one. */
async function socketPathOf(docker: Docker): Promise<string | undefined> {
  const modem = docker.modem as unknown as {
    host?: unknown
    getSocketPath?: () => Promise<unknown> | undefined
  }
  if (modem.host || typeof modem.getSocketPath !== 'function') return undefined
  const path = await modem.getSocketPath()
  return typeof path === 'string' ? path : undefined
}

/**
 * Asks the engine for its version; throws docker_unavailable (quickly) when nothing answers, and after
 * `timeoutMs` when something accepts the connection but does not answer (details.timedOut).
 */
export async function checkDocker(
  docker: Docker,
  opts: { timeoutMs?: number } = {},
): Promise<{ version: string; apiVersion: string; platform: string; components?: { Name?: string }[] }> {
  const timeoutMs = opts.timeoutMs ?? CHECK_TIMEOUT_MS
  const socketPath = await socketPathOf(docker)
  if (socketPath && !socketPath.startsWith('//./pipe/') && !socketPath.startsWith('\\\\.\\pipe\\')) {
    try {
      await stat(socketPath)
    } catch (err) {
      throw new AppError('docker_unavailable', `Docker is not running (no socket at ${socketPath}).`, {
        hint: dockerStartHint(),
        cause: err,
      })
    }
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new AppError('docker_unavailable', `Docker did not answer within ${timeoutMs / 1000} s.`, {
          hint: dockerStartHint(),
          details: { timedOut: true },
        }),
      )
    }, timeoutMs)
  })
  try {
    const info = await Promise.race([docker.version(), timeout])
    // As Docker names platforms: linux/amd64, linux/arm64.
    const platform = `${info.Os || 'linux'}/${info.Arch || 'unknown'}`
    return { version: info.Version, apiVersion: info.ApiVersion, platform, components: info.Components }
  } catch (err) {
    if (err instanceof AppError) throw err
    if (dockerStatusCode(err) !== undefined) {
      throw toDockerAppError(err, 'Docker answered with an error', 'docker_unavailable')
    }
    throw (
      remoteEngineRefusal(err, dockerEndpointOf(docker), clients.get(docker)?.options.discovery?.env) ??
      dockerUnavailable(err)
    )
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Whether the engine is Docker Desktop (macOS, Windows, or Linux with its VM): containers then run in a
 * VM whose file sharing does not carry unix sockets. From the engine's answers (engine-kind.ts, asked
 * once per connection); false when the engine does not answer.
 */
export async function isDockerDesktop(docker: Docker): Promise<boolean> {
  const answers = await engineAnswers(docker)
  return answers !== undefined && engineProduct(answers) === 'docker-desktop'
}
