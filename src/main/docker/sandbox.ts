import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import {
  dockerErrorMessage,
  dockerStatusCode,
  dockerUnavailable,
  isDockerConnectionError,
  toDockerAppError,
} from './client'
import { containerName, FULL_NETWORK, type SandboxNetwork, type SandboxSpec } from './container-spec'
import { enginePlan, type EnginePlan } from './engine-kind'
import { runExec, type ExecOptions, type ExecResult } from './exec'
import type { ExecTunnel } from './exec-tunnel'
import { ensureFullNetwork } from './networks'
import {
  checkRelayPorts,
  openTunnel,
  relayByExec,
  relayFromLog,
  RELAY_TIMEOUT_MS,
  type RelayOptions,
} from './relay'
import { createFitted, handToEngineUser } from './sandbox-engine'
import { forceRemoveContainer } from './task-containers'
import { sandboxUser, type SandboxUser } from './workspace-owner'

export {
  CA_BUNDLE_PATH,
  NET_DIR,
  RELAY_MODEL_PORT,
  RELAY_PROXY_PORT,
  TASK_LABEL,
  type ProxyTransport,
  type SandboxNetwork,
  type SandboxSpec,
} from './container-spec'
export { classicPlan, enginePlan, planEngine, type EngineKind, type EnginePlan } from './engine-kind'
export { ensureFullNetwork, FULL_NETWORK } from './networks'
export { parseRelayReady, type RelayOptions } from './relay'
export type { ExecOptions, ExecResult } from './exec'
export { listTaskContainers, removeTaskContainers, type TaskContainer } from './task-containers'
export { giveWorkspaceTo, prepareSandboxHome, sandboxUser, type SandboxUser } from './workspace-owner'

/** The kernel's count of OOM kills in the container's memory cgroup (v1 `memory.oom_control`, v2 `memory.events`). */
const OOM_COUNTER_SCRIPT =
  'cat /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null || cat /sys/fs/cgroup/memory.events 2>/dev/null'

export function parseOomKills(text: string): number | undefined {
  const m = /^oom_kill\s+(\d+)\s*$/m.exec(text)
  return m ? Number(m[1]) : undefined
}

async function checkSpec(spec: SandboxSpec): Promise<void> {
  const ws = await stat(spec.workspace).catch(() => undefined)
  if (!ws?.isDirectory()) {
    throw new AppError('container_failed', `The task workspace ${spec.workspace} does not exist.`)
  }
  if (spec.network.kind === 'proxied') {
    const dir = await stat(spec.network.netDir).catch(() => undefined)
    if (!dir?.isDirectory()) {
      throw new AppError(
        'container_failed',
        `The sandbox's socket directory ${spec.network.netDir} does not exist.`,
      )
    }
  }
  if (spec.caBundle) {
    const file = await stat(spec.caBundle).catch(() => undefined)
    if (!file?.isFile()) {
      throw new AppError('container_failed', `The CA bundle ${spec.caBundle} for the sandbox does not exist.`)
    }
  }
}

/** A 404 from container create: the image, or (full mode) the network, is not there. */
function missingOnCreate(err: unknown, spec: SandboxSpec): AppError {
  if (spec.network.kind === 'full' && /network/i.test(dockerErrorMessage(err))) {
    return new AppError('container_failed', `The Docker network ${FULL_NETWORK} is not there.`, {
      hint: 'It was removed while the task started; start the task again (it is made on demand).',
      cause: err,
    })
  }
  return new AppError('image_missing', `The agent image ${spec.image} is not there.`, {
    hint: 'Build it with `npm run image` (the engine also builds it before a task when it is missing).',
    cause: err,
  })
}

/** One hardened container per task; tools run in it with `exec`. */
export class Sandbox {
  private oomKillsSeen = 0
  private oomSeen = false
  private relayAsked = false
  private tunnel: ExecTunnel | undefined

  private constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly id: string,
    readonly user: SandboxUser,
    readonly network: SandboxNetwork,
    /** How this engine runs it (engine-kind.ts). */
    readonly engine: EnginePlan,
    /** For the task's timeline: what the engine could not apply (limits, SELinux labels). */
    readonly notes: readonly string[],
  ) {}

  /**
   * Creates and starts the task's container (making the `full` network first when it is missing). With a
   * proxied network, call `startRelay()` next. Throws image_missing, docker_unavailable or container_failed.
   * `engine` says how this engine runs it (rootless Docker, Podman); by default the engine is asked once
   * per client (a rootful Docker gets the classic plan: the host user, every limit).
   */
  static async create(docker: Docker, spec: SandboxSpec, engine?: EnginePlan): Promise<Sandbox> {
    await checkSpec(spec)
    if (spec.network.kind === 'full') await ensureFullNetwork(docker)
    const plan = engine ?? (await enginePlan(docker, sandboxUser()))
    await handToEngineUser(spec, plan)
    const user = plan.user
    const name = containerName(spec.taskId, randomBytes(3).toString('hex'))
    let made: Awaited<ReturnType<typeof createFitted>>
    try {
      made = await createFitted(docker, spec, plan, name)
    } catch (err) {
      if (dockerStatusCode(err) === 404) throw missingOnCreate(err, spec)
      if (isDockerConnectionError(err)) throw dockerUnavailable(err)
      throw toDockerAppError(err, 'Could not create the task container')
    }
    const { container, notes } = made
    try {
      await container.start()
    } catch (err) {
      await forceRemoveContainer(docker, container.id).catch(() => undefined)
      throw toDockerAppError(err, 'Could not start the task container')
    }
    return new Sandbox(docker, container, container.id, user, spec.network, plan, notes)
  }

  /**
   * Makes sure the network relay of a proxied sandbox runs (agent-image/codex-relay: 127.0.0.1:3128 →
   * proxy.sock, 127.0.0.1:3129 → model.sock, each when its socket is in the socket directory) and returns
   * once its ports accept connections, checked from inside; throws container_failed, with the relay's
   * own reason, when it does not come up within `timeoutMs`. Call it after `create`, before any command.
   *
   * The container's main command starts the relay before anything else can run in it (so nothing can
   * take its ports first, and no exec is spent), and the first call only waits for its ready line in the
   * container's log; a later call (the relay was killed) starts it again with an exec. Either way it runs
   * detached as the sandbox user, a child of the container's init. The agent runs as the same user and
   * can kill it: that only cuts the sandbox's own way out (the host's sockets decide what passes, and
   * nothing else listens there), so it is not guarded.
   */
  async startRelay(opts: RelayOptions = {}): Promise<{ ports: number[] }> {
    if (this.network.kind !== 'proxied') {
      throw new AppError(
        'invalid_input',
        `A sandbox with network "${this.network.kind}" has no relay to start.`,
      )
    }
    const timeoutMs = opts.timeoutMs ?? RELAY_TIMEOUT_MS
    if (this.network.transport === 'exec') {
      this.tunnel?.close()
      this.tunnel = await openTunnel(this.container, this.user, this.network.netDir, timeoutMs)
      return { ports: checkRelayPorts(this.tunnel.ports, opts.require ?? ['proxy']) }
    }
    // The relay started with the container reports in its log; after that (it was killed), an exec.
    const first = !this.relayAsked
    this.relayAsked = true
    const ports = first
      ? await relayFromLog(this.container, timeoutMs)
      : await relayByExec(this.container, this.user, timeoutMs)
    return { ports: checkRelayPorts(ports, opts.require ?? ['proxy']) }
  }

  /**
   * Runs argv in /workspace (or `cwd`) as the sandbox user. A non-zero exit is a result, not an error;
   * errors are for the infrastructure (container gone, engine gone) and cancellation (`signal`).
   */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const result = await runExec(this.container, this.user, argv, opts)
    const oomKilled = result.exitCode === 137 ? await this.newOomKill() : false
    return { ...result, oomKilled }
  }

  /**
   * Whether the kernel OOM-killed something since the last look. On cgroup v1 the engine only sets
   * State.OOMKilled when the container itself dies, so the cgroup's own counter is read from inside.
   */
  private async newOomKill(): Promise<boolean> {
    try {
      const out = await runExec(this.container, this.user, ['sh', '-c', OOM_COUNTER_SCRIPT], {
        timeoutMs: 5_000,
      })
      const count = parseOomKills(out.stdout)
      if (count !== undefined) {
        const fresh = count > this.oomKillsSeen
        this.oomKillsSeen = Math.max(count, this.oomKillsSeen)
        if (fresh) this.oomSeen = true
        return fresh
      }
    } catch {
      // The container may have died with the command: ask the engine instead.
    }
    const { oomKilled } = await this.state().catch(() => ({ oomKilled: false }))
    if (oomKilled) this.oomSeen = true
    return oomKilled
  }

  /** Running or not, whether the kernel OOM-killed something in it, and the exit code once stopped. */
  async state(): Promise<{ running: boolean; oomKilled: boolean; exitCode: number | null }> {
    try {
      const info = await this.container.inspect()
      const s = info.State
      return {
        running: s.Running,
        oomKilled: s.OOMKilled || this.oomSeen,
        exitCode: s.Running ? null : s.ExitCode,
      }
    } catch (err) {
      if (dockerStatusCode(err) === 404) return { running: false, oomKilled: this.oomSeen, exitCode: null }
      throw toDockerAppError(err, 'Could not inspect the task container')
    }
  }

  /** Stops the container within a few seconds (SIGTERM to init, SIGKILL after 2 s). Idempotent. */
  async kill(): Promise<void> {
    try {
      await this.container.stop({ t: 2 })
    } catch (err) {
      const status = dockerStatusCode(err)
      if (status === 304 || status === 404) return
      if (status === undefined) throw toDockerAppError(err, 'Could not stop the task container')
      try {
        await this.container.kill({ signal: 'SIGKILL' })
      } catch (again) {
        const s = dockerStatusCode(again)
        if (s === 404 || s === 409) return
        throw toDockerAppError(again, 'Could not stop the task container')
      }
    }
  }

  /** Removes the container (running or not) and its anonymous volumes. Idempotent. */
  async remove(): Promise<void> {
    this.tunnel?.close()
    await forceRemoveContainer(this.docker, this.id)
  }
}
