import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { dockerStatusCode, toDockerAppError } from './client'
import { containerName, containerOptions, TASK_LABEL, WORKSPACE_DIR } from './container-spec'
import { forceRemoveContainer } from './task-containers'
import {
  manifestForHelper,
  updatedManifest,
  walkHostTree,
  type IgnoreRule,
  type Manifest,
  type SkippedEntry,
} from './workspace-manifest'
import { AGENT_UID, type SandboxUser } from './workspace-owner'
import { applyChanges } from './workspace-ship-apply'
import { startShipBackHelper, type HelperRun } from './workspace-ship-helper'
import { packTree, type PackProgress } from './workspace-ship-pack'
import { receiveChanges, type ReceiveLimits } from './workspace-ship-receive'

export type { Manifest, ManifestEntry, SkippedEntry } from './workspace-manifest'
export type { PackProgress } from './workspace-ship-pack'

/**
 * A workspace that travels instead of being bind-mounted (remote engines, "copy, don't mount"): shipIn
 * streams the host's workspace into a per-task Docker volume, shipBack brings back only what a turn
 * changed, as hostile input (workspace-ship-receive.ts, workspace-ship-apply.ts). The host keeps the
 * baseline, the private git directory and the diff; the volume is only the sandbox's copy.
 *
 * shipIn goes through `putArchive` to a helper container that is created, never started (the agent
 * image, the volume at /workspace, hardened like a task container): the engine's own extractor writes
 * the files while no process of the sandbox exists, before the task's container is made — and it needs
 * no exec stream, so it works the same over TLS, SSH and Docker Desktop's pipe. shipBack runs
 * SHIP_BACK_SCRIPT with `docker exec`: in a fresh helper container on the volume (`{ volume }`, nothing
 * of the agent running: the default to use once the task's container is stopped), or in the task's
 * running container (`{ container }`, one exec cheaper).
 */
export const VOLUME_LABEL = 'codex-sys.volume'

/** What the shipped files belong to in the volume by default: the image's `agent` user. */
export const AGENT_OWNER: SandboxUser = { uid: AGENT_UID, gid: AGENT_UID }

export interface VolumeTarget {
  taskId: string
  volume: string
  /** The agent image (for the helper container). */
  image: string
  /** Who owns the shipped files, and who the helper runs as (default 10001:10001). */
  owner?: SandboxUser
}

export interface ShipInOptions extends VolumeTarget {
  hostDir: string
  ignore?: IgnoreRule
  signal?: AbortSignal
  onProgress?: (progress: PackProgress) => void
}

export interface ShipInResult {
  manifest: Manifest
  /** What was not shipped: FIFOs, sockets, devices, names that are not UTF-8. */
  skipped: SkippedEntry[]
  files: number
  bytes: number
}

/** The volume name of a task's workspace. */
export const workspaceVolumeName = (taskId: string): string => containerName(taskId, 'workspace')

async function createVolume(docker: Docker, target: VolumeTarget): Promise<void> {
  const existing = await docker
    .getVolume(target.volume)
    .inspect()
    .catch((err: unknown) => {
      if (dockerStatusCode(err) === 404) return undefined
      throw toDockerAppError(err, 'Could not look up the workspace volume')
    })
  if (existing) {
    throw new AppError('conflict', `The Docker volume ${target.volume} already exists.`, {
      hint: 'Remove it first (it is the task’s old copy of the workspace); shipIn fills a new one.',
      details: { volume: target.volume },
    })
  }
  try {
    await docker.createVolume({
      Name: target.volume,
      Labels: { [TASK_LABEL]: target.taskId, [VOLUME_LABEL]: 'workspace' },
    })
  } catch (err) {
    throw toDockerAppError(err, 'Could not create the workspace volume')
  }
}

/** A hardened helper container of the agent image with the volume at /workspace (created, not started). */
async function createHelper(
  docker: Docker,
  target: VolumeTarget,
  readOnly: boolean,
): Promise<Docker.Container> {
  const spec = {
    taskId: target.taskId,
    image: target.image,
    workspace: '/nonexistent',
    memoryMb: 1024,
    cpus: 1,
    pidsLimit: 64,
    tmpfsMb: 64,
    network: { kind: 'none' as const },
  }
  const name = containerName(target.taskId, `ship-${randomBytes(3).toString('hex')}`)
  const options = containerOptions(spec, target.owner ?? AGENT_OWNER, name)
  const mounts = (options.HostConfig?.Mounts ?? []).filter((m) => m.Target !== WORKSPACE_DIR)
  options.HostConfig = {
    ...options.HostConfig,
    // Docker fills an empty volume from the image's /workspace on this first mount: an empty folder of
    // the agent user's, which is how the volume's root comes to be the sandbox's.
    Mounts: [{ Type: 'volume', Source: target.volume, Target: WORKSPACE_DIR, ReadOnly: readOnly }, ...mounts],
  }
  try {
    return await docker.createContainer(options)
  } catch (err) {
    if (dockerStatusCode(err) === 404) {
      throw new AppError('image_missing', `The agent image ${target.image} is not there.`, { cause: err })
    }
    throw toDockerAppError(err, 'Could not create the helper container for the workspace')
  }
}

async function withHelper<T>(
  docker: Docker,
  target: VolumeTarget,
  readOnly: boolean,
  use: (container: Docker.Container) => Promise<T>,
): Promise<T> {
  const container = await createHelper(docker, target, readOnly)
  try {
    return await use(container)
  } finally {
    await forceRemoveContainer(docker, container.id).catch(() => undefined)
  }
}

async function putTree(container: Docker.Container, tar: AsyncGenerator<Buffer>): Promise<void> {
  const archive = Readable.from(tar)
  try {
    await container.putArchive(archive, { path: WORKSPACE_DIR })
  } catch (err) {
    archive.destroy()
    if (err instanceof AppError) throw err
    throw toDockerAppError(err, 'Could not ship the workspace into its volume')
  }
}

/**
 * Creates the task's volume (labelled with the task) and ships `hostDir` into it; returns the manifest of
 * what it sent. Every `.git` stays home. Throws `conflict` when the volume exists already.
 */
export async function shipIn(docker: Docker, opts: ShipInOptions): Promise<ShipInResult> {
  const owner = opts.owner ?? AGENT_OWNER
  await createVolume(docker, opts)
  const manifest: Manifest = []
  let helper: Docker.Container | undefined
  const dropHelper = async (): Promise<void> => {
    if (helper) await forceRemoveContainer(docker, helper.id).catch(() => undefined)
    helper = undefined
  }
  try {
    // The engine makes the helper while the host walks the tree.
    const [walked, container] = await Promise.all([
      walkHostTree(opts.hostDir, opts.ignore),
      createHelper(docker, opts, false).then((made) => (helper = made)),
    ])
    await putTree(container, packTree(walked.entries, owner, manifest, opts))
    const files = manifest.filter((e) => e.kind === 'file')
    const bytes = files.reduce((sum, e) => sum + e.size, 0)
    return { manifest, skipped: walked.skipped, files: files.length, bytes }
  } catch (err) {
    // A half-filled volume is no copy of the workspace: gone, so that shipping again can start afresh.
    await dropHelper()
    await removeVolume(docker, opts.volume).catch(() => undefined)
    if (opts.signal?.aborted) throw new AppError('cancelled', 'Shipping the workspace was cancelled.')
    throw err
  } finally {
    await dropHelper()
  }
}

export type ShipBackSource =
  ({ volume: string } & VolumeTarget) | { container: Docker.Container; user?: SandboxUser }

export interface ShipBackOptions {
  manifest: Manifest
  hostDir: string
  signal?: AbortSignal
  /** Caps on what the sandbox may send (see DEFAULT_SHIP_BACK_LIMITS). */
  limits?: Partial<ReceiveLimits>
  /** Where content is staged before it is applied: default a fresh folder beside `hostDir` (same disk). */
  stagingParent?: string
}

export interface ShipBackResult {
  /** Paths written into `hostDir` (new or changed files, folders and links). */
  changed: string[]
  deleted: string[]
  /** Entries refused, and why (a hostile or unrepresentable entry). */
  refused: SkippedEntry[]
  /** What the helper left out (FIFOs, unreadable files). */
  skipped: SkippedEntry[]
  /** The manifest for the next turn: what is in the volume now. */
  manifest: Manifest
}

export const DEFAULT_SHIP_BACK_LIMITS: ReceiveLimits = {
  maxEntries: 1_000_000,
  maxBytes: 16 * 1024 ** 3,
  maxHeaderBytes: 64 * 1024,
  maxListBytes: 64 * 1024 * 1024,
}

/**
 * Applies a shipBack stream (SHIP_BACK_SCRIPT's output, or whatever a hostile sandbox sends instead) to
 * `opts.hostDir`: the whole stream is read and checked, and its content staged, before anything there
 * changes (workspace-ship-receive.ts), then applied file by file (workspace-ship-apply.ts).
 */
export async function applyShipped(
  stream: AsyncIterable<Buffer>,
  opts: ShipBackOptions,
): Promise<ShipBackResult> {
  const staging = await mkdtemp(join(opts.stagingParent ?? dirname(opts.hostDir), '.ship-'))
  try {
    const received = await receiveChanges(stream, staging, { ...DEFAULT_SHIP_BACK_LIMITS, ...opts.limits })
    const shipped = new Set(opts.manifest.map((e) => e.path))
    const applied = await applyChanges(opts.hostDir, received, shipped)
    return {
      changed: applied.written.map((e) => e.path),
      deleted: applied.deleted,
      refused: applied.refused,
      skipped: received.skipped,
      manifest: updatedManifest(opts.manifest, applied.written, applied.deleted, received.stamps),
    }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

async function receiveFrom(run: HelperRun, opts: ShipBackOptions): Promise<ShipBackResult> {
  const onAbort = (): void => run.close()
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await applyShipped(run.stdout, opts).catch((err: unknown) => {
      throw helperFailure(err, run, opts.signal)
    })
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    run.close()
  }
}

function helperFailure(err: unknown, run: HelperRun, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return new AppError('cancelled', 'Bringing the changes back was cancelled.')
  const stderr = run.stderr().trim()
  if (err instanceof AppError && stderr && /ended in the middle/u.test(err.message)) {
    return new AppError('container_failed', 'The helper that lists the changes in the sandbox failed.', {
      hint: 'Run the turn again; the changes are still in the task’s volume.',
      details: { stderr: stderr.split('\n').slice(-5).join('\n') },
      cause: err,
    })
  }
  return err
}

/**
 * Brings back what changed in the volume since `manifest` and applies it to `hostDir`; returns what it
 * changed, deleted and refused, and the manifest to use next time. Nothing in `hostDir` changes when the
 * stream is refused as a whole (limits, a corrupt archive).
 */
export async function shipBack(
  docker: Docker,
  source: ShipBackSource,
  opts: ShipBackOptions,
): Promise<ShipBackResult> {
  if (opts.signal?.aborted) throw new AppError('cancelled', 'Bringing the changes back was cancelled.')
  const manifestJson = manifestForHelper(opts.manifest)
  if ('container' in source) {
    const run = await startShipBackHelper(source.container, source.user ?? AGENT_OWNER, manifestJson)
    return receiveFrom(run, opts)
  }
  // A volume that is gone would be made anew, empty, by the helper's mount: every file would look deleted.
  await requireVolume(docker, source.volume)
  return withHelper(docker, source, true, async (container) => {
    await container.start().catch((err: unknown) => {
      throw toDockerAppError(err, 'Could not start the helper container for the workspace')
    })
    const run = await startShipBackHelper(container, source.owner ?? AGENT_OWNER, manifestJson)
    return receiveFrom(run, opts)
  })
}

async function requireVolume(docker: Docker, volume: string): Promise<void> {
  try {
    await docker.getVolume(volume).inspect()
  } catch (err) {
    if (dockerStatusCode(err) !== 404) throw toDockerAppError(err, 'Could not look up the workspace volume')
    throw new AppError('container_failed', `The workspace volume ${volume} is gone from the engine.`, {
      hint: 'What the sandbox changed since the phase started cannot be brought back; run the turn again.',
      details: { volume },
    })
  }
}

/** Removes a task's workspace volume; false when it was not there. */
export async function removeVolume(docker: Docker, volume: string): Promise<boolean> {
  try {
    await docker.getVolume(volume).remove({ force: true })
    return true
  } catch (err) {
    const status = dockerStatusCode(err)
    if (status === 404) return false
    if (status === 409) {
      throw new AppError('conflict', `The Docker volume ${volume} is still in use.`, {
        hint: 'Remove the task’s container first, then its volume.',
        cause: err,
      })
    }
    throw toDockerAppError(err, 'Could not remove the workspace volume')
  }
}

/** Removes every volume labelled with `taskId`; returns how many. */
export async function removeTaskVolumes(docker: Docker, taskId: string): Promise<number> {
  let list: Docker.VolumeInspectInfo[]
  try {
    const found = await docker.listVolumes({ filters: { label: [`${TASK_LABEL}=${taskId}`] } })
    list = found.Volumes ?? []
  } catch (err) {
    throw toDockerAppError(err, 'Could not list the task’s volumes')
  }
  const removed = await Promise.all(list.map((v) => removeVolume(docker, v.Name)))
  return removed.filter(Boolean).length
}
