import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { dockerStatusCode, toDockerAppError } from './client'
import { isMissingBaseImageError, jsonLineSplitter, parseBuildEvent } from './build-output'

export const AGENT_IMAGE_REPO = 'codex-sys-agent'
export const AGENT_IMAGE_LABEL = 'codex-sys.agent-image'
const FALLBACK_BASE_IMAGE = 'debian:bookworm-slim'
const KEEP_LINES = 40

/** The base image the agent image is built on: env CODEX_BASE_IMAGE, else a public Debian image. */
export function defaultBaseImage(): string {
  return process.env.CODEX_BASE_IMAGE?.trim() || FALLBACK_BASE_IMAGE
}

/** Every file under `dir` (relative, '/'-separated, sorted), directories left out. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true })
  const out: string[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)))
    else out.push(rel)
  }
  return out
}

/**
 * `codex-sys-agent:<12 hex>`: a sha256 over every file of the build context (path, executable bit,
 * content; a symlink's target) and the base image name, so any change to either gives a new tag.
 * Only the executable bit of the mode counts, as in git, so a checkout's umask does not change the tag.
 */
export async function agentImageTag(contextDir: string, baseImage: string): Promise<string> {
  const hash = createHash('sha256')
  hash.update(`base\0${baseImage}\0`)
  for (const rel of await listFiles(contextDir)) {
    const path = join(contextDir, rel)
    const st = await lstat(path)
    if (st.isSymbolicLink()) {
      hash.update(`link\0${rel}\0${await readlink(path)}\0`)
      continue
    }
    const content = await readFile(path)
    const mode = st.mode & 0o111 ? '755' : '644'
    hash.update(`file\0${rel}\0${mode}\0${content.length}\0`)
    hash.update(content)
  }
  return `${AGENT_IMAGE_REPO}:${hash.digest('hex').slice(0, 12)}`
}

/** Whether the engine has an image by this name. */
export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect()
    return true
  } catch (err) {
    if (dockerStatusCode(err) === 404) return false
    throw toDockerAppError(err, `Could not look up the image ${tag}`, 'image_missing')
  }
}

export interface EnsureImageOptions {
  /** The agent-image/ directory (Dockerfile, codex-tool). */
  contextDir: string
  baseImage: string
  /** Each line of build output as it comes; `ratio` (0..1) when a `Step N/M` line gives one. */
  onProgress?: (line: string, ratio?: number) => void
  signal?: AbortSignal
}

const baseImageHint = (baseImage: string): string =>
  `Get a base image: \`docker pull ${baseImage === FALLBACK_BASE_IMAGE ? baseImage : FALLBACK_BASE_IMAGE}\`, ` +
  'or without a registry build one offline with `scripts/make-base-image.sh` (debootstrap) and set ' +
  'CODEX_BASE_IMAGE=codex-sys/debian-base:bookworm.'

const inFlight = new Map<string, Promise<string>>()

/** Builds the agent image when the engine does not have it yet; returns its tag. */
export async function ensureAgentImage(docker: Docker, opts: EnsureImageOptions): Promise<string> {
  const tag = await agentImageTag(opts.contextDir, opts.baseImage)
  if (await imageExists(docker, tag)) return tag
  // Tasks starting together share one build of the same tag.
  let build = inFlight.get(tag)
  if (!build) {
    build = buildAgentImage(docker, tag, opts).finally(() => inFlight.delete(tag))
    inFlight.set(tag, build)
  }
  return build
}

async function buildAgentImage(docker: Docker, tag: string, opts: EnsureImageOptions): Promise<string> {
  const { contextDir, baseImage, onProgress, signal } = opts
  const baseMissing = !(await imageExists(docker, baseImage))
  if (baseMissing) onProgress?.(`Base image ${baseImage} is not present locally: Docker will try to pull it.`)
  const files = await listFiles(contextDir)
  if (!files.includes('Dockerfile')) {
    throw new AppError('image_build_failed', `No Dockerfile in ${contextDir}.`, {
      hint: 'Point the engine at the agent-image/ directory of codex-sys.',
    })
  }
  if (signal?.aborted) throw new AppError('cancelled', 'The image build was cancelled.')

  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.buildImage(
      { context: contextDir, src: files },
      {
        t: tag,
        buildargs: { BASE_IMAGE: baseImage },
        labels: { [AGENT_IMAGE_LABEL]: 'true' },
        rm: true,
        forcerm: true,
        abortSignal: signal,
      },
    )
  } catch (err) {
    if (signal?.aborted) throw new AppError('cancelled', 'The image build was cancelled.', { cause: err })
    throw toDockerAppError(err, 'Could not start the agent image build', 'image_build_failed')
  }

  const last: string[] = []
  let error: string | undefined
  const feed = jsonLineSplitter((obj) => {
    const event = parseBuildEvent(obj)
    for (const line of event.lines) {
      last.push(line)
      if (last.length > KEEP_LINES) last.shift()
      onProgress?.(line, event.ratio)
    }
    if (event.error) error = event.error
  })
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => feed(chunk))
      stream.on('end', () => resolve())
      stream.on('error', reject)
      stream.on('close', () => resolve())
    })
    feed(null)
  } catch (err) {
    if (signal?.aborted) throw new AppError('cancelled', 'The image build was cancelled.', { cause: err })
    throw toDockerAppError(err, 'The agent image build was interrupted', 'image_build_failed')
  }
  if (signal?.aborted) throw new AppError('cancelled', 'The image build was cancelled.')

  if (error !== undefined || !(await imageExists(docker, tag))) {
    const reason = error ?? 'the engine reported no error, but the image is not there'
    if (baseMissing && isMissingBaseImageError(reason)) {
      throw new AppError('image_missing', `The base image ${baseImage} is not available: ${reason}`, {
        hint: baseImageHint(baseImage),
        details: { baseImage, lastLines: last.slice(-15) },
      })
    }
    throw new AppError('image_build_failed', `Building the agent image ${tag} failed: ${reason}`, {
      hint: 'Read the last lines of the build output (details); fix agent-image/Dockerfile or the network, then retry.',
      details: { tag, baseImage, lastLines: last.slice(-15) },
    })
  }
  onProgress?.(`Built ${tag}`, 1)
  return tag
}
