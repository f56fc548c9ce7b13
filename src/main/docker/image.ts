import { createHash, type Hash } from 'node:crypto'
import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { extraCertificates } from '../network/ca-bundle'
import { dockerStatusCode, toDockerAppError } from './client'
import { isMissingBaseImageError, jsonLineSplitter, parseBuildEvent, wholeStreamLines } from './build-output'

export const AGENT_IMAGE_REPO = 'codex-sys-agent'
export const AGENT_IMAGE_LABEL = 'codex-sys.agent-image'
const FALLBACK_BASE_IMAGE = 'debian:bookworm-slim'
const KEEP_LINES = 40
/** The build context's file of the host's extra CA certificates (agent-image/ holds an empty one). */
export const HOST_CA_FILE = 'host-ca.pem'
const HOST_CA_HEADER =
  "# The host's CA certificates beyond the public roots, installed into the agent image before apt\n" +
  '# (written by the engine at build time; none here).\n'

/**
 * The registry repository the prebuilt agent image is pulled from: env CODEX_IMAGE_REGISTRY (empty: never
 * pull, as the test suite sets it), else Settings' `agentImage.registry`.
 */
export function imageRegistry(settings: { agentImage: { registry: string } }): string {
  return process.env.CODEX_IMAGE_REGISTRY ?? settings.agentImage.registry
}

/** The base image the agent image is built on: env CODEX_BASE_IMAGE, else a public Debian image. */
export function defaultBaseImage(): string {
  return process.env.CODEX_BASE_IMAGE?.trim() || FALLBACK_BASE_IMAGE
}

/**
 * Image variants built FROM the agent image, each from a directory of agent-image/ of its own: left out of
 * the agent image's context and tag (see variant-image.ts).
 */
export const VARIANT_DIRS: readonly string[] = ['codex']

/** Every file under `dir` (relative, '/'-separated, sorted), directories left out; variants' too at the top. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true })
  const out: string[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!prefix && entry.isDirectory() && VARIANT_DIRS.includes(entry.name)) continue
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)))
    else out.push(rel)
  }
  return out
}

/**
 * The `host-ca.pem` of a build: the certificates of `caBundle` (the host's bundle, network/ca-bundle.ts)
 * that are not among Node's bundled public roots — what the host trusts beyond them, such as a
 * TLS-inspecting proxy's CA — sorted, so the same trust gives the same file. The image has the public
 * roots from Debian's ca-certificates already. Without a bundle (or with only public roots) it is just a
 * comment, and the build installs nothing.
 */
export function hostCaFile(caBundle?: string): string {
  if (!caBundle) return HOST_CA_HEADER
  const extra = extraCertificates(caBundle)
    .sort((a, b) => (a.fingerprint256 < b.fingerprint256 ? -1 : a.fingerprint256 > b.fingerprint256 ? 1 : 0))
    .map((cert) => `# ${cert.subject.replace(/\n/g, ', ')}\n${cert.toString().trim()}\n`)
  return extra.length ? `${HOST_CA_HEADER.split('\n')[0]}\n${extra.join('')}` : HOST_CA_HEADER
}

/**
 * `codex-sys-agent:<12 hex>`: a sha256 over every file of the build context (path, executable bit,
 * content; a symlink's target) and the base image name, so a change to either gives a new tag.
 * Only the executable bit of the mode counts, as in git, so a checkout's umask does not change the tag.
 * The context's `host-ca.pem` counts as the build will have it (`hostCaFile(caBundle)`), so a new extra
 * CA on the host gives a new tag, and a rebuild.
 */
export async function agentImageTag(
  contextDir: string,
  baseImage: string,
  caBundle?: string,
): Promise<string> {
  const hash = createHash('sha256')
  hash.update(`base\0${baseImage}\0`)
  const files = await listFiles(contextDir)
  const hostCa = files.includes(HOST_CA_FILE) ? Buffer.from(hostCaFile(caBundle)) : undefined
  for (const rel of files) {
    if (rel === HOST_CA_FILE && hostCa) {
      const mode = '644'
      hash.update(`file\0${rel}\0${mode}\0${hostCa.length}\0`)
      hash.update(hostCa)
      continue
    }
    await hashContextFile(hash, contextDir, rel)
  }
  return `${AGENT_IMAGE_REPO}:${hash.digest('hex').slice(0, 12)}`
}

/** One file of a build context into an image tag's hash: its path, executable bit and content, or a link's target. */
export async function hashContextFile(hash: Hash, dir: string, rel: string): Promise<void> {
  const path = join(dir, rel)
  const st = await lstat(path)
  if (st.isSymbolicLink()) {
    hash.update(`link\0${rel}\0${await readlink(path)}\0`)
    return
  }
  const content = await readFile(path)
  const mode = st.mode & 0o111 ? '755' : '644'
  hash.update(`file\0${rel}\0${mode}\0${content.length}\0`)
  hash.update(content)
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
  /**
   * The host's CA bundle (PEM, `collectCaBundle().pem`): its certificates beyond the public roots go into
   * the build as `host-ca.pem` and the tag (see `hostCaFile`), so `RUN` steps fetching over HTTPS work
   * behind a TLS-inspecting proxy. Without it the image trusts only the public roots.
   */
  caBundle?: string
  /** Each line of build output as it comes; `ratio` (0..1) when a `Step N/M` line gives one. */
  onProgress?: (line: string, ratio?: number) => void
  signal?: AbortSignal
  /** The build's arguments (default `{ BASE_IMAGE: baseImage }`); a variant passes `AGENT_IMAGE`. */
  buildArgs?: Record<string, string>
}

const baseImageHint = (baseImage: string): string =>
  `Get a base image: \`docker pull ${baseImage === FALLBACK_BASE_IMAGE ? baseImage : FALLBACK_BASE_IMAGE}\`, ` +
  'or without a registry build one offline with `scripts/make-base-image.sh` (debootstrap) and set ' +
  'CODEX_BASE_IMAGE=codex-sys/debian-base:bookworm.'

const inFlight = new Map<string, Promise<string>>()

/** Tasks starting together share one build of the same tag (agent image or variant). */
export function buildOnce(tag: string, build: () => Promise<string>): Promise<string> {
  let running = inFlight.get(tag)
  if (!running) {
    running = build().finally(() => inFlight.delete(tag))
    inFlight.set(tag, running)
  }
  return running
}

/** Builds the agent image when the engine does not have it yet; returns its tag. */
export async function ensureAgentImage(docker: Docker, opts: EnsureImageOptions): Promise<string> {
  const tag = await agentImageTag(opts.contextDir, opts.baseImage, opts.caBundle)
  if (await imageExists(docker, tag)) return tag
  return buildOnce(tag, () => buildAgentImage(docker, tag, opts))
}

/**
 * The directory the build is sent from: `contextDir` itself, or — when it has a `host-ca.pem` — a
 * temporary copy whose `host-ca.pem` is `hostCaFile(caBundle)` (removed by `done`).
 */
async function buildContext(
  contextDir: string,
  files: string[],
  caBundle: string | undefined,
): Promise<{ dir: string; done: () => Promise<void> }> {
  if (!files.includes(HOST_CA_FILE)) return { dir: contextDir, done: async () => undefined }
  const dir = await mkdtemp(join(tmpdir(), 'codex-image-context-'))
  try {
    await cp(contextDir, dir, { recursive: true, verbatimSymlinks: true })
    await writeFile(join(dir, HOST_CA_FILE), hostCaFile(caBundle))
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw new AppError(
      'image_build_failed',
      `Could not prepare the agent image build context: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  return { dir, done: () => rm(dir, { recursive: true, force: true }) }
}

async function buildAgentImage(docker: Docker, tag: string, opts: EnsureImageOptions): Promise<string> {
  const { contextDir, baseImage, signal } = opts
  const baseMissing = !(await imageExists(docker, baseImage))
  if (baseMissing)
    opts.onProgress?.(`Base image ${baseImage} is not present locally: Docker will try to pull it.`)
  const files = await listFiles(contextDir)
  if (!files.includes('Dockerfile')) {
    throw new AppError('image_build_failed', `No Dockerfile in ${contextDir}.`, {
      hint: 'Point the engine at the agent-image/ directory of codex-sys.',
    })
  }
  if (signal?.aborted) throw new AppError('cancelled', 'The image build was cancelled.')
  if (files.includes(HOST_CA_FILE)) {
    const count = opts.caBundle ? extraCertificates(opts.caBundle).length : 0
    opts.onProgress?.(
      count
        ? `Trusting ${count} CA certificate(s) of the host beyond the public roots in the image build.`
        : 'No CA certificates of the host beyond the public roots to trust in the image build.',
    )
  }
  const context = await buildContext(contextDir, files, opts.caBundle)
  try {
    return await runBuild(docker, tag, { ...opts, contextDir: context.dir }, files, baseMissing)
  } finally {
    await context.done()
  }
}

export async function runBuild(
  docker: Docker,
  tag: string,
  opts: EnsureImageOptions,
  files: string[],
  baseMissing: boolean,
): Promise<string> {
  const { contextDir, baseImage, onProgress, signal } = opts

  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.buildImage(
      { context: contextDir, src: files },
      {
        t: tag,
        buildargs: opts.buildArgs ?? { BASE_IMAGE: baseImage },
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
  const whole = wholeStreamLines((obj) => {
    const event = parseBuildEvent(obj)
    for (const line of event.lines) {
      last.push(line)
      if (last.length > KEEP_LINES) last.shift()
      onProgress?.(line, event.ratio)
    }
    if (event.error) error = event.error
  })
  const feed = jsonLineSplitter(whole)
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => feed(chunk))
      stream.on('end', () => resolve())
      stream.on('error', reject)
      stream.on('close', () => resolve())
    })
    feed(null)
    whole(null)
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

/** A pull that reports nothing for this long (no registry reachable) gives up, and the image is built. */
const PULL_IDLE_MS = 10_000

/** `<registry>:<the local tag's tag part>`: the same content hash, in the registry's repository. */
export function registryRef(registry: string, localTag: string): string {
  return `${registry.replace(/\/+$/, '')}:${localTag.slice(localTag.lastIndexOf(':') + 1)}`
}

export interface PullImageOptions {
  /** The registry repository, e.g. `ghcr.io/codex-sys/codex-sys-agent`. */
  registry: string
  onProgress?: (line: string, ratio?: number) => void
  /** How long the pull may report nothing before it gives up (default 10 s). */
  idleMs?: number
}

/**
 * Pulls `<registry>:<hash>` of `localTag` (the exact content-hash tag) and tags it `localTag`, so the
 * rest of the engine finds it as if built here. True when it did; false (with a progress line saying
 * why) when the registry is unreachable, lacks the tag, or stays silent for `idleMs` — then the caller
 * builds.
 */
export async function pullAgentImage(
  docker: Docker,
  localTag: string,
  opts: PullImageOptions,
): Promise<boolean> {
  const ref = registryRef(opts.registry, localTag)
  opts.onProgress?.(`Pulling the prebuilt image ${ref}`, 0)
  const controller = new AbortController()
  let idle: NodeJS.Timeout | undefined
  const stillAlive = (): void => {
    clearTimeout(idle)
    idle = setTimeout(() => controller.abort(), opts.idleMs ?? PULL_IDLE_MS)
  }
  try {
    stillAlive()
    const digest = await followPull(docker, ref, controller.signal, stillAlive, opts.onProgress)
    clearTimeout(idle)
    await docker
      .getImage(ref)
      .tag({ repo: AGENT_IMAGE_REPO, tag: localTag.slice(localTag.lastIndexOf(':') + 1) })
    await docker
      .getImage(ref)
      .remove({ noprune: true })
      .catch(() => undefined)
    opts.onProgress?.(`Pulled ${ref}${digest ? ` (${digest})` : ''} as ${localTag}`, 1)
    return true
  } catch (err) {
    const reason = controller.signal.aborted ? 'no answer from the registry' : (err as Error).message
    opts.onProgress?.(`Could not pull ${ref} (${reason.trim()}); building it here instead.`)
    return false
  } finally {
    clearTimeout(idle)
  }
}

/** Runs one pull to its end, each status line to `onProgress`; resolves with the registry's digest, if it gave one. */
async function followPull(
  docker: Docker,
  ref: string,
  signal: AbortSignal,
  stillAlive: () => void,
  onProgress?: (line: string, ratio?: number) => void,
): Promise<string | undefined> {
  const stream = (await docker.pull(ref, { abortSignal: signal })) as NodeJS.ReadableStream
  signal.addEventListener('abort', () =>
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(),
  )
  let digest: string | undefined
  let failure: string | undefined
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : signal.aborted ? reject(new Error('aborted')) : resolve()),
      (event: { status?: string; id?: string; progress?: string; error?: string }) => {
        stillAlive()
        if (event.error) failure = event.error
        const status = event.status ?? ''
        digest = /^Digest: (\S+)/.exec(status)?.[1] ?? digest
        if (status) onProgress?.([event.id, status, event.progress].filter(Boolean).join(' '))
      },
    )
  })
  if (failure !== undefined) throw new Error(failure)
  if (!(await imageExists(docker, ref)))
    throw new Error('the engine reported no error, but the image is not there')
  return digest
}
