import type Docker from 'dockerode'
import type { SandboxUser } from './workspace-owner'

export const TASK_LABEL = 'codex-sys.task'
export const WORKSPACE_DIR = '/workspace'
export const AGENT_HOME = '/home/agent'
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface SandboxSpec {
  taskId: string
  image: string
  /** Host directory bind-mounted at /workspace. */
  workspace: string
  memoryMb: number
  cpus: number
  pidsLimit: number
  /**
   * Host directory bind-mounted at HOME and kept for the task's life, so what setup installs there
   * (`pip --user`, `~/.cargo`, `~/go`, `~/.m2`) is still there in the agent phase and in follow-ups, which
   * each run in a fresh container. Without it HOME is a tmpfs, gone with the container.
   */
  home?: string
  /**
   * Size of each tmpfs mount, /tmp (and HOME when it is not a `home` directory) — settings
   * `sandbox.tmpfsMb`. Their pages count against `memoryMb`; without a size the kernel allows half of the
   * host's RAM each.
   */
  tmpfsMb: number
  /** Start attached to the default bridge (setup phase); false starts with no network at all. */
  network: boolean
}

/** The whole environment of the container: nothing from the engine's own environment ever passes. */
export const SANDBOX_ENV: readonly string[] = [
  `HOME=${AGENT_HOME}`,
  `PATH=${SANDBOX_PATH}`,
  'LANG=C.UTF-8',
  'TERM=dumb',
]

const MIB = 1024 * 1024

/** A container name Docker accepts, recognisable in `docker ps`. */
export function containerName(taskId: string, suffix: string): string {
  const safe = taskId
    .replace(/[^a-zA-Z0-9_.-]/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 64)
  return `codex-sys-${safe || 'task'}-${suffix}`
}

/** The create options of a hardened task container (see DESIGN.md, "One hardened container per task"). */
export function containerOptions(
  spec: SandboxSpec,
  user: SandboxUser,
  name: string,
): Docker.ContainerCreateOptions {
  if (user.uid === 0) throw new Error('The sandbox never runs as root')
  if (!Number.isInteger(spec.tmpfsMb) || spec.tmpfsMb < 1) {
    throw new Error(`The sandbox tmpfs size must be a whole number of MB (got ${String(spec.tmpfsMb)})`)
  }
  const tmpfsSize = `size=${spec.tmpfsMb}m`
  const memory = Math.round(spec.memoryMb * MIB)
  return {
    name,
    Image: spec.image,
    Cmd: ['sleep', 'infinity'],
    User: `${user.uid}:${user.gid}`,
    WorkingDir: WORKSPACE_DIR,
    Env: [...SANDBOX_ENV],
    Labels: { [TASK_LABEL]: spec.taskId },
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    OpenStdin: false,
    Tty: false,
    HostConfig: {
      Init: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Privileged: false,
      Tmpfs: {
        '/tmp': `rw,nosuid,nodev,exec,mode=1777,${tmpfsSize}`,
        ...(spec.home
          ? {}
          : { [AGENT_HOME]: `rw,nosuid,nodev,exec,mode=0700,uid=${user.uid},gid=${user.gid},${tmpfsSize}` }),
      },
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(spec.cpus * 1e9),
      PidsLimit: spec.pidsLimit,
      NetworkMode: spec.network ? 'bridge' : 'none',
      Mounts: [
        { Type: 'bind', Source: spec.workspace, Target: WORKSPACE_DIR, ReadOnly: false },
        ...(spec.home
          ? [{ Type: 'bind' as const, Source: spec.home, Target: AGENT_HOME, ReadOnly: false }]
          : []),
      ],
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    },
  }
}
