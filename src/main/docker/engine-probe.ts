import { connect } from 'node:net'
import type Docker from 'dockerode'
import type { DockerStatus } from '../../shared/system'
import { AppError } from '../errors'
import {
  checkDocker,
  dockerEndpointOf,
  dockerHostSettingOf,
  dockerStatusCode,
  reconnectDocker,
} from './client'
import { discoveryDefaults, resolveDockerEndpoint, type DiscoveryEnv } from './engine-discovery'
import { engineInstalled } from './engine-install'
import { clampSandboxLimits } from './engine-limits'
import { classifyAnswer, classifyFailure, engineIdentity, type DockerInfo } from './engine-status'

export interface EngineProbeOptions {
  /** Settings → Docker → Engine, read at each check (a change reconnects). */
  host?: () => string | undefined
  /** The sandbox limits in Settings, to say when the engine is too small for them. */
  limits?: () => { cpus: number; memoryMb: number }
  discovery?: DiscoveryEnv
  /** How long one check waits for an answer (default 5 s). */
  checkMs?: number
  /** How long an engine that accepted the connection may take to wake up (default 90 s). */
  wakeMs?: number
}

type Answer = Awaited<ReturnType<typeof checkDocker>>

interface Wake {
  promise: Promise<Answer>
  settled?: { ok: true; value: Answer } | { ok: false; error: unknown }
}

const timedOut = (err: unknown): boolean => err instanceof AppError && err.details?.timedOut === true

/**
 * Checks the engine for the Docker screen and before work that needs it. A check that fails leaves the
 * client marked stale, and the next check first finds the engine again and reconnects (Docker started
 * after the app, a context switched, the setting changed): no restart needed. An engine that accepts the
 * connection but is slow to answer (Docker Desktop's Resource Saver) is waited for in the background,
 * for `wakeMs`, while checks say "waking up".
 */
export class EngineProbe {
  private stale = false
  private wake: Wake | undefined

  constructor(
    readonly docker: Docker,
    private readonly opts: EngineProbeOptions = {},
  ) {}

  private get checkMs(): number {
    return this.opts.checkMs ?? 5_000
  }

  /** Reconnects when the last check failed or the Settings host changed. */
  private refresh(): void {
    if (this.wake) return
    const host = this.opts.host?.()?.trim() || undefined
    if (this.stale || host !== dockerHostSettingOf(this.docker)) {
      reconnectDocker(this.docker, host ?? null)
      this.stale = false
    }
  }

  /** The engine's version, waiting through a wake-up; the first check after a failure reconnects. */
  private async answer(): Promise<Answer | 'waking'> {
    this.refresh()
    if (!this.wake) {
      try {
        return await checkDocker(this.docker, { timeoutMs: this.checkMs })
      } catch (err) {
        if (!timedOut(err)) throw err
        const wake: Wake = { promise: checkDocker(this.docker, { timeoutMs: this.opts.wakeMs ?? 90_000 }) }
        wake.promise.then(
          (value) => (wake.settled = { ok: true, value }),
          (error: unknown) => (wake.settled = { ok: false, error }),
        )
        this.wake = wake
        return 'waking'
      }
    }
    const wake = this.wake
    await Promise.race([wake.promise.catch(() => undefined), new Promise((r) => setTimeout(r, this.checkMs))])
    if (!wake.settled) return 'waking'
    this.wake = undefined
    if (wake.settled.ok) return wake.settled.value
    throw wake.settled.error
  }

  async status(): Promise<DockerStatus> {
    const platform = discoveryDefaults(this.opts.discovery).platform
    const endpointNow = () =>
      dockerEndpointOf(this.docker) ??
      resolveDockerEndpoint({ ...this.opts.discovery, setting: this.opts.host?.() })
    let answer: Answer | 'waking'
    try {
      answer = await this.answer()
    } catch (err) {
      this.stale = true
      const installed = engineInstalled(this.opts.discovery)
      return classifyFailure(err, { endpoint: endpointNow(), platform, installed })
    }
    if (answer === 'waking') {
      return classifyFailure(undefined, { endpoint: endpointNow(), platform, installed: true, waking: true })
    }
    const info = (await this.docker.info().catch(() => ({}))) as DockerInfo
    const version = { Version: answer.version, ApiVersion: answer.apiVersion, Components: answer.components }
    const status = classifyAnswer(info, version, endpointNow())
    const limits = this.opts.limits?.()
    if (status.reachable && limits) {
      const { clamp } = clampSandboxLimits(limits, {
        cpus: typeof info.NCPU === 'number' ? info.NCPU : undefined,
        memTotal: typeof info.MemTotal === 'number' ? info.MemTotal : undefined,
        product: engineIdentity(info, version).name,
      })
      if (clamp) status.limits = clamp
    }
    return status
  }

  /**
   * Resolves once the engine answers and can run tasks — waiting up to `wakeMs` for one that is waking
   * up — else throws docker_unavailable with what the Docker screen would say.
   */
  async ready(): Promise<void> {
    const deadline = Date.now() + (this.opts.wakeMs ?? 90_000)
    for (;;) {
      const status = await this.status()
      if (status.reachable) return
      if (status.state !== 'waking' || Date.now() > deadline) {
        throw new AppError('docker_unavailable', status.error?.message ?? 'Docker is not available.', {
          hint: status.error?.hint,
        })
      }
    }
  }
}

/** What one quick look at the engine found: it answers, nothing is there, or it did not answer in time. */
export type EngineLiveness = 'up' | 'down' | 'slow'

type PingWithSignal = (this: Docker, opts: { abortSignal: AbortSignal }) => Promise<unknown>

const isAbort = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')

/**
 * One look at the engine, bounded by `timeoutMs`. `light`: for a local socket, only whether something
 * accepts a connection there (no request, so an idle Docker Desktop is not kept awake); otherwise, and for
 * remote engines, GET /_ping. Never throws.
 */
export async function pingEngine(
  docker: Docker,
  opts: { timeoutMs: number; light?: boolean },
): Promise<EngineLiveness> {
  const socketPath = (docker.modem as { socketPath?: unknown } | undefined)?.socketPath
  if (opts.light && typeof socketPath === 'string' && socketPath) {
    return connectsWithin(socketPath, opts.timeoutMs)
  }
  try {
    const ping = docker.ping as unknown as PingWithSignal
    await ping.call(docker, { abortSignal: AbortSignal.timeout(opts.timeoutMs) })
    return 'up'
  } catch (err) {
    if (isAbort(err)) return 'slow'
    // An engine that answered with an error status is there.
    return dockerStatusCode(err) === undefined ? 'down' : 'up'
  }
}

function connectsWithin(path: string, timeoutMs: number): Promise<EngineLiveness> {
  return new Promise((resolve) => {
    const socket = connect(path)
    const done = (result: EngineLiveness): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done('slow'), timeoutMs)
    socket.once('connect', () => done('up'))
    socket.once('error', () => done('down'))
  })
}
