import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { AGENT_IMAGE_REPO, buildOnce, hashContextFile, imageExists, listFiles, runBuild } from './image'

/**
 * Images built FROM the agent image for a runtime that lives in the sandbox (agent-image/codex: the Codex
 * CLI). Each is tagged `codex-sys-agent:<variant>-<12 hex>`, a sha256 over the agent image's tag and every
 * file of the variant's directory, so a new agent image or a new pinned version gives a new tag.
 */
export type ImageVariant = 'codex'

export interface VariantImageOptions {
  /** The agent-image/ directory; the variant's context is its `<variant>/` directory. */
  contextDir: string
  variant: ImageVariant
  /** The agent image's tag (built first by the caller): the variant's FROM. */
  agentImage: string
  onProgress?: (line: string, ratio?: number) => void
  signal?: AbortSignal
}

/** `codex-sys-agent:codex-<12 hex>` for this agent image and the variant directory's files. */
export async function variantImageTag(contextDir: string, variant: ImageVariant, agentImage: string) {
  const dir = join(contextDir, variant)
  const hash = createHash('sha256')
  hash.update(`variant\0${variant}\0from\0${agentImage}\0`)
  for (const rel of await listFiles(dir)) await hashContextFile(hash, dir, rel)
  return `${AGENT_IMAGE_REPO}:${variant}-${hash.digest('hex').slice(0, 12)}`
}

/** Builds the variant when the engine does not have it yet (one build per tag at a time); returns its tag. */
export async function ensureVariantImage(docker: Docker, opts: VariantImageOptions): Promise<string> {
  const dir = join(opts.contextDir, opts.variant)
  let files: string[]
  try {
    files = await listFiles(dir)
  } catch {
    files = []
  }
  if (!files.includes('Dockerfile')) {
    throw new AppError('image_build_failed', `No Dockerfile for the ${opts.variant} image in ${dir}.`, {
      hint: `Point the engine at the agent-image/ directory of codex-sys (it has ${opts.variant}/Dockerfile).`,
    })
  }
  const tag = await variantImageTag(opts.contextDir, opts.variant, opts.agentImage)
  if (await imageExists(docker, tag)) return tag
  return buildOnce(tag, () => {
    opts.onProgress?.(`Building the ${opts.variant} runtime image ${tag} on ${opts.agentImage}`, 0)
    return runBuild(
      docker,
      tag,
      {
        contextDir: dir,
        baseImage: opts.agentImage,
        buildArgs: { AGENT_IMAGE: opts.agentImage },
        onProgress: opts.onProgress,
        signal: opts.signal,
      },
      files,
      false,
    )
  })
}
