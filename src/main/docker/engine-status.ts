import type { AppErrorData } from '../../shared/errors'
import type { DockerEngineFacts, DockerState, DockerStatus } from '../../shared/system'
import { AppError } from '../errors'
import {
  describeEndpoint,
  socketPathOfHost,
  type DockerEndpoint,
  type EngineProduct,
} from './engine-discovery'
import { engineProduct, isRootless } from './engine-kind'

/**
 * What the Docker screen says, from what the engine answered (`docker info`, `docker version`) or how
 * reaching it failed. Pure: the probe (engine-probe.ts) asks, these functions classify.
 */

/** The parts of `docker info` (GET /info) this reads; every field may be missing. */
export type DockerInfo = Record<string, unknown>

/** `docker version`'s Components (Podman says "Podman Engine" there). */
export interface DockerVersion {
  Version?: string
  ApiVersion?: string
  Components?: { Name?: string }[]
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

const PRODUCT_NAMES: Record<EngineProduct, string> = {
  'docker-desktop': 'Docker Desktop',
  orbstack: 'OrbStack',
  colima: 'Colima',
  'rancher-desktop': 'Rancher Desktop',
  'rootless-docker': 'Docker Engine',
  podman: 'Podman',
  docker: 'Docker Engine',
}

/**
 * Which engine answered, by name: the product `docker info` and `docker version` say (engine-kind.ts
 * decides), else the one the socket's path belongs to, else the Docker Engine.
 */
export function engineIdentity(
  info: DockerInfo,
  version?: DockerVersion,
  endpoint?: DockerEndpoint,
): { name: string; rootless: boolean } {
  const answers = { info, version: version && { ...version } }
  const product = engineProduct(answers) ?? endpoint?.product ?? 'docker'
  return { name: PRODUCT_NAMES[product], rootless: isRootless(answers) }
}

/** The facts the Docker screen shows. */
export function engineFacts(
  info: DockerInfo,
  version?: DockerVersion,
  endpoint?: DockerEndpoint,
): DockerEngineFacts {
  const { name, rootless } = engineIdentity(info, version, endpoint)
  const memTotal = typeof info.MemTotal === 'number' ? info.MemTotal : undefined
  return {
    name,
    operatingSystem: str(info.OperatingSystem) || undefined,
    osType: str(info.OSType) || undefined,
    rootless,
    cpus: typeof info.NCPU === 'number' ? info.NCPU : undefined,
    memoryMb: memTotal === undefined ? undefined : Math.round(memTotal / (1024 * 1024)),
  }
}

const endpointInfo = (e: DockerEndpoint): NonNullable<DockerStatus['endpoint']> => ({
  host: e.host,
  source: e.source,
  context: e.context,
  description: describeEndpoint(e),
})

function problem(
  state: DockerState,
  endpoint: DockerEndpoint,
  message: string,
  hint: string,
  extra: Partial<DockerStatus> = {},
): DockerStatus {
  const error: AppErrorData = new AppError('docker_unavailable', message, { hint }).toData()
  const notes = endpoint.notes.length ? [...endpoint.notes] : undefined
  return { reachable: false, state, endpoint: endpointInfo(endpoint), error, notes, ...extra }
}

/** How to start the engine the endpoint belongs to. */
export function startHint(endpoint: DockerEndpoint, platform: NodeJS.Platform): string {
  const product = endpoint.product
  let start: string
  if (product === 'orbstack') start = 'Start OrbStack.'
  else if (product === 'colima') start = 'Start Colima (`colima start`).'
  else if (product === 'rancher-desktop') start = 'Start Rancher Desktop (with the dockerd (moby) engine).'
  else if (product === 'podman') {
    start =
      platform === 'linux'
        ? "Start Podman's socket (`systemctl --user enable --now podman.socket`)."
        : "Start Podman's machine (`podman machine start`)."
  } else if (product === 'rootless-docker') start = 'Start rootless Docker (`systemctl --user start docker`).'
  else if (product === 'docker-desktop' || platform === 'darwin' || platform === 'win32') {
    start = 'Start Docker Desktop and wait until it says the engine is running.'
  } else start = 'Start the Docker engine (`sudo systemctl enable --now docker`, or Docker Desktop).'
  const where =
    endpoint.source === 'setting'
      ? ' Or change the engine in Settings → Docker.'
      : endpoint.source === 'DOCKER_HOST'
        ? ' Or unset DOCKER_HOST, which points here.'
        : endpoint.source === 'DOCKER_CONTEXT' || endpoint.source === 'context'
          ? ` Or switch docker context (\`docker context use default\`), which points here.`
          : ''
  return `${start}${where} codex-sys finds it by itself once it answers.`
}

function installHint(platform: NodeJS.Platform): string {
  if (platform === 'darwin') {
    return 'Install Docker Desktop (or OrbStack, Colima or Rancher Desktop), start it, then check again.'
  }
  if (platform === 'win32')
    return 'Install Docker Desktop with the WSL 2 backend, start it, then check again.'
  return (
    'Install Docker (`sudo apt install docker.io`, or Docker CE), start it (`sudo systemctl enable --now docker`) ' +
    'and add yourself to the `docker` group (`sudo usermod -aG docker $USER`, then log out and back in).'
  )
}

function permissionHint(endpoint: DockerEndpoint, platform: NodeJS.Platform): string {
  if (platform === 'win32') {
    return (
      'Add your account to the `docker-users` group (in an administrator terminal: ' +
      '`net localgroup docker-users %USERNAME% /add`), then sign out and back in.'
    )
  }
  if (endpoint.product === 'podman') {
    return "Use your own Podman socket instead (`systemctl --user enable --now podman.socket`), or run Podman's system socket for your group."
  }
  if (platform === 'darwin')
    return 'Quit and restart the engine so that it recreates its socket for your user.'
  return (
    'Add yourself to the `docker` group (`sudo usermod -aG docker $USER`), then log out and back in ' +
    '(or run `newgrp docker`). Or use rootless Docker.'
  )
}

const codeOf = (err: unknown): string | undefined => {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    const message = e instanceof Error ? e.message : ''
    const m = /\b(EACCES|EPERM|ENOENT|ECONNREFUSED)\b/.exec(message)
    if (m) return m[1]
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

export interface FailureContext {
  endpoint: DockerEndpoint
  platform: NodeJS.Platform
  /** Whether any engine looks installed (engine-install.ts). */
  installed: boolean
  /** The engine accepted the connection but has not answered yet, and we are still waiting. */
  waking?: boolean
}

/** The status when the engine did not answer, from the error and where we looked. */
export function classifyFailure(err: unknown, ctx: FailureContext): DockerStatus {
  const { endpoint, platform } = ctx
  const where = describeEndpoint(endpoint)
  if (ctx.waking) {
    const desktop = endpoint.product === 'docker-desktop'
    return problem(
      'waking',
      endpoint,
      desktop
        ? 'Docker Desktop is waking up (its Resource Saver paused the engine); this can take up to a minute.'
        : `The Docker engine at ${where} is slow to answer; still waiting.`,
      'Wait a moment: codex-sys keeps checking and goes on by itself once the engine answers.',
    )
  }
  const code = codeOf(err)
  if (code === 'EACCES' || code === 'EPERM') {
    return problem(
      'no_permission',
      endpoint,
      `Your user may not use the Docker engine at ${where} (permission denied).`,
      permissionHint(endpoint, platform),
    )
  }
  const timedOut = err instanceof AppError && err.details?.timedOut === true
  if (timedOut) {
    return problem(
      'not_running',
      endpoint,
      `The Docker engine at ${where} accepted the connection but did not answer.`,
      `Restart it. ${startHint(endpoint, platform)}`,
    )
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode
  if (typeof status === 'number' || (err instanceof AppError && err.details?.status !== undefined)) {
    const message = err instanceof Error ? err.message : String(err)
    return problem('engine_error', endpoint, message, `Restart the engine. ${startHint(endpoint, platform)}`)
  }
  const local = socketPathOfHost(endpoint.host) !== undefined
  if (local && !ctx.installed && (endpoint.source === 'default' || endpoint.source === 'socket')) {
    return problem('not_installed', endpoint, 'No Docker engine is installed.', installHint(platform))
  }
  return problem(
    'not_running',
    endpoint,
    `Docker is not running (nothing answers at ${where}).`,
    startHint(endpoint, platform),
  )
}

/** The status when the engine answered: ready, or in Windows-containers mode. */
export function classifyAnswer(
  info: DockerInfo,
  version: DockerVersion,
  endpoint: DockerEndpoint,
): DockerStatus {
  const engine = engineFacts(info, version, endpoint)
  const base = { version: version.Version, apiVersion: version.ApiVersion, engine }
  if (engine.osType === 'windows') {
    return problem(
      'windows_containers',
      endpoint,
      'Docker Desktop is running Windows containers; codex-sys needs Linux containers.',
      'Right-click the Docker icon in the notification area, choose “Switch to Linux containers…”, then check again.',
      base,
    )
  }
  const notes = [...endpoint.notes]
  return {
    reachable: true,
    state: 'ready',
    ...base,
    endpoint: endpointInfo(endpoint),
    notes: notes.length ? notes : undefined,
  }
}
