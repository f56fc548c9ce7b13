import type { ImageProgressEvent } from '../../shared/events'
import type { ImageStatus } from '../../shared/system'
import { agentImageTag, ensureAgentImage, imageExists, pullAgentImage } from '../docker/image'
import { platformMismatch } from '../docker/engine-platform'
import { transferImage } from '../docker/image-transfer'
import { ensureVariantImage, type ImageVariant, variantImageTag } from '../docker/variant-image'
import type { DockerClient } from './task-turn'

type ProgressListener = (progress: ImageProgressEvent) => void

const MiB = 1024 * 1024

/**
 * The agent image of this engine: its tag (a hash of agent-image/ and the base), whether it is there,
 * and one shared build whose progress every listener sees (Settings, and each task waiting on it).
 */
export class AgentImage {
  private pending: Promise<string> | undefined
  /** True only while a build really runs (not while an existing image is looked up). */
  private building = false
  private readonly listeners = new Set<ProgressListener>()

  constructor(
    readonly docker: DockerClient,
    readonly source: { contextDir: string; baseImage: string },
    /** The host's CA bundle, which the image trusts too (so its tag depends on it). */
    private readonly caBundle: () => Promise<string | undefined> = async () => undefined,
    /**
     * The registry repository to pull the prebuilt image (and variant) from before building it here
     * (Settings' `agentImage.registry`); empty: always build.
     */
    private readonly registry: () => string = () => '',
    /**
     * A remote engine's: the local engine's images, copied from there (made there first if need be)
     * when the registry has none, before building on the remote engine itself.
     */
    private readonly copyFrom?: AgentImage,
  ) {}

  /**
   * Copies `tag` from the local engine (after `made` makes it there); true when it is here now. A local
   * engine that is not there, or fails, leaves the build to this engine (its progress says why).
   */
  private async copied(tag: string, made: (local: AgentImage) => Promise<string>): Promise<boolean> {
    const local = this.copyFrom
    if (!local) return false
    try {
      // An amd64 image cannot run on an arm64 build box (nor the other way): that engine builds its own.
      const mismatch = await platformMismatch(local.docker, this.docker)
      if (mismatch) {
        this.progress(`Not copying ${tag} (${mismatch}); building it there`)
        return false
      }
      if ((await made(local)) !== tag) return false
      this.progress(`Copying ${tag} from this computer's Docker engine`, 0)
      await transferImage(local.docker, this.docker, tag, {
        onProgress: ({ bytesSent, expectedBytes }) =>
          this.progress(
            `Copying ${tag}: ${(bytesSent / MiB).toFixed(0)} of ${(expectedBytes / MiB).toFixed(0)} MB`,
            expectedBytes ? Math.min(1, bytesSent / expectedBytes) : undefined,
          ),
      })
      return true
    } catch (err) {
      this.progress(`Could not copy ${tag} from this computer (${(err as Error).message}); building it here`)
      return false
    }
  }

  private progress(line: string, ratio?: number): void {
    for (const listener of this.listeners) listener({ line, ratio })
  }

  /** Pulls `tag` from the registry when one is set and the engine lacks it; true when it is there now. */
  private async pulled(tag: string): Promise<boolean> {
    const registry = this.registry().trim()
    if (!registry) return false
    return pullAgentImage(this.docker, tag, {
      registry,
      onProgress: (line, ratio) => this.progress(line, ratio),
    })
  }

  onProgress(listener: ProgressListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async status(): Promise<ImageStatus> {
    const tag = await agentImageTag(this.source.contextDir, this.source.baseImage, await this.caBundle())
    const building = this.building
    const present = !building && (await imageExists(this.docker, tag).catch(() => false))
    return { tag, baseImage: this.source.baseImage, present, building }
  }

  /**
   * The image's tag, built first when missing (one build at a time, shared by every caller); with a
   * variant (a runtime living in the sandbox: `codex`), that variant's, built on the agent image.
   */
  async ensure(variant?: ImageVariant): Promise<string> {
    this.pending ??= this.ensureOnce().finally(() => {
      this.pending = undefined
    })
    const base = await this.pending
    if (!variant) return base
    const tag = await variantImageTag(this.source.contextDir, variant, base)
    if (!(await imageExists(this.docker, tag))) {
      if (!(await this.pulled(tag))) await this.copied(tag, (local) => local.ensure(variant))
    }
    return ensureVariantImage(this.docker, {
      contextDir: this.source.contextDir,
      variant,
      agentImage: base,
      onProgress: (line, ratio) => this.progress(line, ratio),
    })
  }

  private async ensureOnce(): Promise<string> {
    const caBundle = await this.caBundle()
    const tag = await agentImageTag(this.source.contextDir, this.source.baseImage, caBundle)
    if (await imageExists(this.docker, tag)) return tag
    this.building = true
    try {
      if (await this.pulled(tag)) return tag
      if (await this.copied(tag, (local) => local.ensure())) return tag
      return await ensureAgentImage(this.docker, {
        ...this.source,
        caBundle,
        onProgress: (line, ratio) => this.progress(line, ratio),
      })
    } finally {
      this.building = false
    }
  }
}
