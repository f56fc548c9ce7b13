import type { ImageProgressEvent } from '../../shared/events'
import type { ImageStatus } from '../../shared/system'
import { agentImageTag, ensureAgentImage, imageExists } from '../docker/image'
import type { DockerClient } from './task-turn'

type ProgressListener = (progress: ImageProgressEvent) => void

/**
 * The agent image of this engine: its tag (a hash of agent-image/ and the base), whether it is there,
 * and one shared build whose progress every listener sees (Settings, and each task waiting on it).
 */
export class AgentImage {
  private building: Promise<string> | undefined
  private readonly listeners = new Set<ProgressListener>()

  constructor(
    private readonly docker: DockerClient,
    readonly source: { contextDir: string; baseImage: string },
  ) {}

  onProgress(listener: ProgressListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async status(): Promise<ImageStatus> {
    const tag = await agentImageTag(this.source.contextDir, this.source.baseImage)
    const building = this.building !== undefined
    const present = !building && (await imageExists(this.docker, tag).catch(() => false))
    return { tag, baseImage: this.source.baseImage, present, building }
  }

  /** The image's tag, built first when missing. */
  ensure(): Promise<string> {
    this.building ??= ensureAgentImage(this.docker, {
      ...this.source,
      onProgress: (line, ratio) => {
        for (const listener of this.listeners) listener({ line, ratio })
      },
    }).finally(() => {
      this.building = undefined
    })
    return this.building
  }
}
