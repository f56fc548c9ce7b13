import { configuredEngines, LOCAL_ENGINE, type EngineConfig, type EngineStatus } from '../../shared/engines'
import type { Settings } from '../../shared/settings'
import { checkDocker, isDockerDesktop } from '../docker/client'
import type { ProxyTransport } from '../docker/sandbox'
import { AppError, toErrorData } from '../errors'
import { AgentImage } from './agent-image'
import { DockerRestarts, type DockerRestartsDeps } from './docker-restarts'
import type { EngineLoad, TaskQueue } from './task-queue'
import type { DockerClient } from './turn-deps'

/** One Docker engine tasks run on: its client, its agent image, its health watcher, how proxies reach it. */
export interface EngineSlot {
  readonly config: EngineConfig
  readonly docker: DockerClient
  readonly image: AgentImage
  readonly restarts: DockerRestarts
  /** How a proxied sandbox on this engine reaches the host's proxies. */
  proxyTransport(): Promise<ProxyTransport>
  /** How a task's workspace reaches this engine's containers: mounted, or shipped (copy mode). */
  workspaceMode(): Promise<'mount' | 'copy'>
}

export interface EnginePoolDeps {
  settings: () => Settings
  queue: TaskQueue
  /** The local engine's client (found as the docker CLI finds it, or given by a test). */
  localDocker: DockerClient
  /** A client for a remote engine. */
  connect: (config: EngineConfig) => DockerClient
  /** The agent image of an engine; a remote one's copies the local engine's (`local`). */
  image: (docker: DockerClient, local?: AgentImage) => AgentImage
  /** The local engine's proxy transport (a socket where it shares this kernel, else the exec tunnel). */
  localTransport: () => Promise<ProxyTransport>
  restarts: Omit<DockerRestartsDeps, 'docker' | 'queue' | 'engine'>
}

/**
 * What of a config, changed, needs a new client: where a remote engine is and how it is reached. The
 * local engine's client follows its Settings address itself (reconnectDocker).
 */
const connectionOf = (c: EngineConfig): string =>
  c.remote ? JSON.stringify([c.host ?? '', c.certDir ?? '']) : LOCAL_ENGINE

/**
 * The engines of Settings (the local one first, then Settings → Engines), each with its slots in the
 * queue. `sync` follows Settings: a new engine gets a slot, a removed one is closed (its running tasks
 * finish on it), one whose address changed is reconnected.
 */
export class EnginePool {
  private slots = new Map<string, EngineSlot>()

  constructor(private readonly deps: EnginePoolDeps) {
    this.sync()
  }

  get local(): EngineSlot {
    return this.get(LOCAL_ENGINE)
  }

  has(id: string): boolean {
    return this.slots.has(id)
  }

  /** The engine `id`; an error naming it when Settings no longer have it. */
  get(id: string): EngineSlot {
    const slot = this.slots.get(id)
    if (!slot) throw engineMissing(id)
    return slot
  }

  list(): EngineSlot[] {
    return [...this.slots.values()]
  }

  sync(): void {
    const configs = configuredEngines(this.deps.settings())
    const next = new Map<string, EngineSlot>()
    for (const config of configs) {
      const slot = this.slots.get(config.id)
      if (slot && connectionOf(slot.config) === connectionOf(config)) {
        next.set(config.id, { ...slot, config })
        this.slots.delete(config.id)
      } else next.set(config.id, this.open(config, next.get(LOCAL_ENGINE)?.image))
    }
    // Gone from Settings, or reached elsewhere now: their watchers stop (running turns keep their client).
    for (const slot of this.slots.values()) slot.restarts.close()
    this.slots = next
    // A remote engine takes no task before it first answers (its watcher lets the lane go then).
    const lanes = configs.map((c) => ({ id: c.id, limit: c.enabled ? c.limit : 0, held: c.remote }))
    this.deps.queue.setEngines(lanes)
  }

  /** Each engine: asked for its version (at most `timeoutMs`), with its queue load. */
  async status(load: EngineLoad[], timeoutMs = 3_000): Promise<EngineStatus[]> {
    return Promise.all(
      this.list().map(async ({ config, docker }): Promise<EngineStatus> => {
        const here = load.find((l) => l.id === config.id)
        const base = {
          id: config.id,
          name: config.name,
          host: config.host,
          remote: config.remote,
          enabled: config.enabled,
          workspace: config.workspace,
          active: here?.active ?? [],
          limit: config.enabled ? config.limit : 0,
        }
        try {
          const { version, platform } = await checkDocker(docker, { timeoutMs })
          return { ...base, reachable: true, version, platform }
        } catch (err) {
          const { message, hint } = toErrorData(err)
          return { ...base, reachable: false, error: { message, hint } }
        }
      }),
    )
  }

  close(): void {
    for (const slot of this.slots.values()) slot.restarts.close()
  }

  /**
   * A remote engine copies (nothing of this disk can be mounted there); the local one does what Settings →
   * Docker → Workspace say, `auto` copying on Docker Desktop, whose bind mounts cross the VM's file sharing.
   */
  private async workspaceMode(id: string, docker: DockerClient): Promise<'mount' | 'copy'> {
    const config =
      this.slots.get(id)?.config ?? configuredEngines(this.deps.settings()).find((c) => c.id === id)
    // configuredEngines gives every remote engine `copy`: nothing of this disk can be mounted there.
    if (!config || config.workspace === 'copy') return 'copy'
    if (config.workspace === 'mount') return 'mount'
    return (await isDockerDesktop(docker)) ? 'copy' : 'mount'
  }

  private open(config: EngineConfig, localImage: AgentImage | undefined): EngineSlot {
    const docker = config.remote ? this.deps.connect(config) : this.deps.localDocker
    const restarts = new DockerRestarts({
      ...this.deps.restarts,
      docker,
      queue: this.deps.queue,
      engine: config.id,
      holdUntilUp: config.remote,
    })
    return {
      config,
      docker,
      image: this.deps.image(docker, config.remote ? localImage : undefined),
      restarts,
      // A remote container cannot reach a socket of this machine: only the Docker API's own stream.
      proxyTransport: config.remote ? async () => 'exec' : this.deps.localTransport,
      workspaceMode: () => this.workspaceMode(config.id, docker),
    }
  }
}

export function engineMissing(id: string): AppError {
  return new AppError('conflict', `The engine “${id}” is not in Settings → Engines.`, {
    hint: 'Add it back in Settings → Engines, or retry the task from scratch on another engine.',
  })
}
