import type Docker from 'dockerode'
import { CA_BUNDLE_PATH } from './container-spec'
import type { EnginePlan } from './engine-kind'

type Mount = NonNullable<NonNullable<Docker.ContainerCreateOptions['HostConfig']>['Mounts']>[number]

/** A path Binds can carry: its `src:dst:opts` syntax has no quoting. */
const bindable = (path: string): boolean => !/[:,]/.test(path)

/** Binds relabelled for SELinux: `Z` (private) for the task's own directories, `z` for the shared CA file. */
function relabel(mounts: Mount[]): { binds: string[]; kept: Mount[]; unlabelled: string[] } {
  const binds: string[] = []
  const kept: Mount[] = []
  const unlabelled: string[] = []
  for (const m of mounts) {
    if (m.Type !== 'bind' || !m.Source) {
      kept.push(m)
      continue
    }
    if (!bindable(m.Source) || !bindable(m.Target)) {
      kept.push(m)
      unlabelled.push(m.Target)
      continue
    }
    const label = m.Target === CA_BUNDLE_PATH ? 'z' : 'Z'
    binds.push(`${m.Source}:${m.Target}:${m.ReadOnly ? 'ro' : 'rw'},${label}`)
  }
  return { binds, kept, unlabelled }
}

/** Podman takes no uid=/gid= on a tmpfs; `U` gives it to the container's user instead. */
function podmanTmpfs(tmpfs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tmpfs).map(([target, opts]) => {
      const parts = opts.split(',')
      const owned = parts.some((p) => p.startsWith('uid=') || p.startsWith('gid='))
      const rest = parts.filter((p) => !p.startsWith('uid=') && !p.startsWith('gid='))
      return [target, (owned ? [...rest, 'U'] : rest).join(',')]
    }),
  )
}

/**
 * The hardened create options (containerOptions) fitted to the engine: Podman's user namespace mode,
 * its tmpfs ownership option, only the limits it can apply, and SELinux relabelling of the bind mounts.
 * Pure; `notes` says what could not be done.
 */
export function fitToEngine(
  options: Docker.ContainerCreateOptions,
  plan: EnginePlan,
): { options: Docker.ContainerCreateOptions; notes: string[] } {
  const host: NonNullable<Docker.ContainerCreateOptions['HostConfig']> = { ...options.HostConfig }
  const notes: string[] = []
  if (plan.usernsMode) host.UsernsMode = plan.usernsMode
  if (plan.tmpfsOwner === 'podman' && host.Tmpfs) host.Tmpfs = podmanTmpfs(host.Tmpfs)
  if (!plan.limits.memory) {
    delete host.Memory
    delete host.MemorySwap
  }
  if (!plan.limits.cpu) delete host.NanoCpus
  if (!plan.limits.pids) delete host.PidsLimit
  if (plan.selinux && host.Mounts?.length) {
    const { binds, kept, unlabelled } = relabel(host.Mounts)
    host.Binds = [...(host.Binds ?? []), ...binds]
    host.Mounts = kept
    if (unlabelled.length) {
      notes.push(
        `SELinux is on, but ${unlabelled.join(', ')} could not be relabelled (its host path has a ":" or ","): ` +
          'the sandbox may be denied access to it.',
      )
    }
  }
  return { options: { ...options, HostConfig: host }, notes }
}

/** The options again without any limit, for an engine that refused them at create. */
export function withoutLimits(options: Docker.ContainerCreateOptions): Docker.ContainerCreateOptions {
  const host = { ...options.HostConfig }
  delete host.Memory
  delete host.MemorySwap
  delete host.NanoCpus
  delete host.PidsLimit
  return { ...options, HostConfig: host }
}
