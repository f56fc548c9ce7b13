import { stat } from 'node:fs/promises'
import type Docker from 'dockerode'
import { dockerErrorMessage, dockerStatusCode } from './client'
import { containerOptions, type SandboxSpec } from './container-spec'
import { isLimitRefusal, limitRefusalNote, type EnginePlan } from './engine-kind'
import { fitToEngine, withoutLimits } from './engine-options'
import { giveWorkspaceTo } from './workspace-owner'

/**
 * When the app runs as root but the engine is rootless (another user's), the workspace and HOME must
 * belong to that user for the container to write them: hands each over unless it already is theirs.
 * Nothing to do otherwise (a non-root app's files are already its engine user's).
 */
export async function handToEngineUser(spec: SandboxSpec, plan: EnginePlan): Promise<void> {
  if (process.getuid?.() !== 0) return
  if (plan.kind !== 'docker-rootless' && plan.kind !== 'podman-rootless') return
  const owner = plan.hostOwner
  if (owner.uid === 0) return
  for (const dir of [spec.workspace, spec.home]) {
    if (!dir) continue
    const s = await stat(dir).catch(() => undefined)
    if (s && (s.uid !== owner.uid || s.gid !== owner.gid)) await giveWorkspaceTo(dir, owner)
  }
}

/**
 * Creates the container with the options fitted to the engine; an engine that refuses the limits (no
 * delegated cgroup controller) gets it again without them. `notes` are for the task's timeline.
 */
export async function createFitted(
  docker: Docker,
  spec: SandboxSpec,
  plan: EnginePlan,
  name: string,
): Promise<{ container: Docker.Container; notes: string[] }> {
  const base = containerOptions(spec, plan.user, name, { rootIsHostUser: plan.rootIsHostUser })
  const { options, notes } = fitToEngine(base, plan)
  const all = [...plan.notes, ...notes]
  try {
    return { container: await docker.createContainer(options), notes: all }
  } catch (err) {
    const status = dockerStatusCode(err)
    const message = dockerErrorMessage(err)
    const limited = ['Memory', 'NanoCpus', 'PidsLimit'].some((k) => k in (options.HostConfig ?? {}))
    if (!limited || (status !== 400 && status !== 500) || !isLimitRefusal(message)) throw err
    const container = await docker.createContainer(withoutLimits(options))
    return { container, notes: [...all, limitRefusalNote(message)] }
  }
}
