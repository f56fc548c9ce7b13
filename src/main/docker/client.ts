import { stat } from 'node:fs/promises'
import Docker from 'dockerode'
import { AppError } from '../errors'

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

/** A Docker client: DOCKER_HOST when set, else the default socket (or the Windows named pipe). */
export function createDockerClient(): Docker {
  return new Docker()
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

/** Asks the engine for its version; throws docker_unavailable (quickly) when nothing answers. */
export async function checkDocker(docker: Docker): Promise<{ version: string; apiVersion: string }> {
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
        new AppError('docker_unavailable', `Docker did not answer within ${CHECK_TIMEOUT_MS / 1000} s.`, {
          hint: dockerStartHint(),
        }),
      )
    }, CHECK_TIMEOUT_MS)
  })
  try {
    const info = await Promise.race([docker.version(), timeout])
    return { version: info.Version, apiVersion: info.ApiVersion }
  } catch (err) {
    if (err instanceof AppError) throw err
    if (dockerStatusCode(err) !== undefined) {
      throw toDockerAppError(err, 'Docker answered with an error', 'docker_unavailable')
    }
    throw dockerUnavailable(err)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Whether the engine is Docker Desktop (macOS, Windows, or Linux with its VM): containers then run in a
 * VM whose file sharing does not carry unix sockets. False when the engine does not answer.
 */
export async function isDockerDesktop(docker: Docker): Promise<boolean> {
  const info = (await docker.info().catch(() => undefined)) as { OperatingSystem?: string } | undefined
  return /docker desktop/i.test(info?.OperatingSystem ?? '')
}
