import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { dockerStatusCode, dockerUnavailable, isDockerConnectionError, toDockerAppError } from './client'
import { containerName, containerOptions, type SandboxSpec } from './container-spec'
import { runExec, type ExecOptions, type ExecResult } from './exec'
import { forceRemoveContainer } from './task-containers'
import { sandboxUser, type SandboxUser } from './workspace-owner'

export { TASK_LABEL, type SandboxSpec } from './container-spec'
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

/** One hardened container per task; tools run in it with `exec`. */
export class Sandbox {
  private oomKillsSeen = 0
  private oomSeen = false

  private constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly id: string,
    readonly user: SandboxUser,
  ) {}

  /** Creates and starts the task's container. Throws image_missing, docker_unavailable or container_failed. */
  static async create(docker: Docker, spec: SandboxSpec): Promise<Sandbox> {
    const ws = await stat(spec.workspace).catch(() => undefined)
    if (!ws?.isDirectory()) {
      throw new AppError('container_failed', `The task workspace ${spec.workspace} does not exist.`)
    }
    const user = sandboxUser()
    const name = containerName(spec.taskId, randomBytes(3).toString('hex'))
    let container: Docker.Container
    try {
      container = await docker.createContainer(containerOptions(spec, user, name))
    } catch (err) {
      if (dockerStatusCode(err) === 404) {
        throw new AppError('image_missing', `The agent image ${spec.image} is not there.`, {
          hint: 'Build it with `npm run image` (the engine also builds it before a task when it is missing).',
          cause: err,
        })
      }
      if (isDockerConnectionError(err)) throw dockerUnavailable(err)
      throw toDockerAppError(err, 'Could not create the task container')
    }
    try {
      await container.start()
    } catch (err) {
      await forceRemoveContainer(docker, container.id).catch(() => undefined)
      throw toDockerAppError(err, 'Could not start the task container')
    }
    return new Sandbox(docker, container, container.id, user)
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
    await forceRemoveContainer(this.docker, this.id)
  }
}
