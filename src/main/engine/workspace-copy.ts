import { copyFile, mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { containerName } from '../docker/container-spec'
import type { SandboxUser } from '../docker/workspace-owner'
import {
  removeTaskVolumes,
  shipBack,
  shipIn,
  workspaceVolumeName,
  type Manifest,
  type ShipBackResult,
} from '../docker/workspace-ship'
import { writeAtomic, type TaskPaths } from './task-store'
import type { TurnDeps } from './turn-deps'

/**
 * Copy mode (DESIGN.md, "The workspace in copy mode"): for each phase, the task's workspace, HOME and the
 * host's CA bundle are shipped into volumes on the engine before its container starts, and what the phase
 * changed in the workspace and HOME is brought back once the container is gone — before the host reads
 * the workspace again (the diff, the setup cache, the review). The host's copy stays the truth: every
 * phase starts from fresh volumes, so an edit made in review reaches the next turn as it would by mount.
 */
export interface ShippedPhase {
  volumes: { workspace: string; home: string; ca?: string }
  manifests: { workspace: Manifest; home: Manifest }
  owner: SandboxUser
  image: string
}

/**
 * The phase shipped and not brought back yet, kept in the task's directory (never shipped, never
 * mounted): when the turn is cut off (the app killed, the engine gone), the next phase on the engine
 * brings that work back first, so a resume goes on from what the agent really did.
 */
const PENDING_FILE = 'ship-pending.json'

const homeVolumeName = (taskId: string): string => containerName(taskId, 'home')
const caVolumeName = (taskId: string): string => containerName(taskId, 'ca')

const MiB = 1024 * 1024

/**
 * Volumes being removed after a phase whose work is home already (off the task's path: 1–2 s of the
 * engine's): per task, awaited before that task ships again, and by volumeRemovalsSettled.
 */
const removals = new Map<string, Promise<void>>()

function removeVolumesInBackground(deps: TurnDeps, taskId: string): void {
  const job = (removals.get(taskId) ?? Promise.resolve())
    // Failing here leaves them for the next phase's removeTaskVolumes, which removes the task's leftovers.
    .then(() => removeTaskVolumes(deps.docker, taskId))
    .then(
      () => undefined,
      () => undefined,
    )
    .finally(() => removals.get(taskId) === job && removals.delete(taskId))
  removals.set(taskId, job)
}

/** Resolves once every volume removal started after a phase has ended. */
export async function volumeRemovalsSettled(): Promise<void> {
  while (removals.size) await Promise.all([...removals.values()])
}

/** Ships the workspace, HOME and CA bundle of `taskId` into fresh volumes (old ones of the task removed). */
export async function shipPhaseIn(
  deps: TurnDeps,
  taskId: string,
  image: string,
  owner: SandboxUser,
): Promise<ShippedPhase> {
  const paths = deps.store.paths(taskId)
  await recoverPending(deps, taskId)
  await removals.get(taskId)
  await removeTaskVolumes(deps.docker, taskId)
  const target = (volume: string) => ({ taskId, volume, image, owner, signal: deps.signal })
  const volumes = { workspace: workspaceVolumeName(taskId), home: homeVolumeName(taskId) }
  deps.emit({ type: 'progress', phase: 'container', message: 'Copying the workspace to the engine' })
  const workspace = await shipIn(deps.docker, { ...target(volumes.workspace), hostDir: paths.workspace })
  const home = await shipIn(deps.docker, { ...target(volumes.home), hostDir: paths.home })
  deps.emit({
    type: 'progress',
    phase: 'container',
    message: `Copied the workspace to the engine (${workspace.files.toLocaleString('en-US')} files, ${(workspace.bytes / MiB).toFixed(1)} MB)`,
  })
  const ca = deps.caBundlePath ? await shipCaBundle(deps, paths, target(caVolumeName(taskId))) : undefined
  const shipped: ShippedPhase = {
    volumes: { ...volumes, ...(ca ? { ca } : {}) },
    manifests: { workspace: workspace.manifest, home: home.manifest },
    owner,
    image,
  }
  await writeAtomic(join(paths.dir, PENDING_FILE), JSON.stringify(shipped))
  return shipped
}

/** The phase a cut-off turn left in the engine's volumes, brought back (said in the timeline). */
async function recoverPending(deps: TurnDeps, taskId: string): Promise<void> {
  const file = join(deps.store.paths(taskId).dir, PENDING_FILE)
  const pending = await readPending(file)
  if (!pending) return
  const say = (text: string): void => deps.emit({ type: 'log', stream: 'system', text })
  try {
    await shipPhaseBack(deps, taskId, pending)
    say('Brought back what the interrupted phase had changed in the sandbox.\n')
  } catch (err) {
    say(`What the interrupted phase changed could not be brought back (${(err as Error).message}).\n`)
    await rm(file, { force: true })
  }
}

async function readPending(file: string): Promise<ShippedPhase | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (!text) return undefined
  try {
    const value = JSON.parse(text) as ShippedPhase
    const manifests = [value.manifests?.workspace, value.manifests?.home]
    if (!manifests.every(Array.isArray) || typeof value.volumes?.workspace !== 'string') return undefined
    return value
  } catch {
    return undefined
  }
}

/** The CA bundle in a volume of its own (a directory holding ca-bundle.pem), mounted read-only. */
async function shipCaBundle(
  deps: TurnDeps,
  paths: TaskPaths,
  target: { taskId: string; volume: string; image: string; owner: SandboxUser },
): Promise<string> {
  const dir = join(paths.dir, 'ship-ca')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  try {
    await copyFile(deps.caBundlePath!, join(dir, 'ca-bundle.pem'))
    await shipIn(deps.docker, { ...target, hostDir: dir })
    return target.volume
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Brings back what the phase changed in the workspace and HOME (the phase's container is gone), and
 * says in the timeline what was refused, then removes the volumes (in the background: nothing needs
 * them now). Runs even after a cancel: the work done so far is kept, as a bind mount would have kept it.
 */
export async function shipPhaseBack(deps: TurnDeps, taskId: string, shipped: ShippedPhase): Promise<void> {
  const paths = deps.store.paths(taskId)
  const from = (volume: string) => ({ volume, taskId, image: shipped.image, owner: shipped.owner })
  const workspace = await shipBack(deps.docker, from(shipped.volumes.workspace), {
    manifest: shipped.manifests.workspace,
    hostDir: paths.workspace,
  })
  const home = await shipBack(deps.docker, from(shipped.volumes.home), {
    manifest: shipped.manifests.home,
    hostDir: paths.home,
  })
  sayRefused(deps, 'workspace', workspace)
  sayRefused(deps, 'HOME', home)
  // Home now: the next phase ships afresh. (Kept when bringing back failed: the work is still there.)
  await rm(join(paths.dir, PENDING_FILE), { force: true })
  removeVolumesInBackground(deps, taskId)
}

function sayRefused(deps: TurnDeps, where: string, result: ShipBackResult): void {
  if (!result.refused.length) return
  const listed = result.refused
    .slice(0, 10)
    .map((r) => `${r.path}: ${r.reason}`)
    .join('; ')
  const more = result.refused.length > 10 ? ` and ${result.refused.length - 10} more` : ''
  deps.emit({
    type: 'log',
    stream: 'system',
    text: `Not brought back from the sandbox's ${where} (${result.refused.length}): ${listed}${more}\n`,
  })
}

/** Removes the task's volumes (its container is gone) and the note of a phase pending there. */
export async function dropPhaseVolumes(deps: TurnDeps, taskId: string): Promise<void> {
  await removeTaskVolumes(deps.docker, taskId)
  await rm(join(deps.store.paths(taskId).dir, PENDING_FILE), { force: true })
}
