import { stat } from 'node:fs/promises'
import type Docker from 'dockerode'
import type { EngineProduct } from './engine-discovery'
import type { SandboxUser } from './workspace-owner'

/**
 * Which engine runs the sandbox, and how its containers' uids meet the host's: a rootful engine runs the
 * container as the host user's uid (or the image's `agent`, handed the workspace); a user-namespaced one
 * (rootless Docker, rootless Podman) maps uids, so that uid would be a stranger on the host and every
 * write to the bind-mounted workspace would fail. Pure: `detectEngine` asks, `planEngine` decides.
 */
export type EngineKind = 'docker' | 'docker-rootless' | 'podman' | 'podman-rootless'

/** What the engine answered; any part, and any field, may be missing. */
export interface EngineAnswers {
  /** GET /info (`docker.info()`). */
  info?: Record<string, unknown>
  /** GET /version (`docker.version()`). */
  version?: Record<string, unknown>
  /** Podman's own GET /libpod/info: `host.idMappings`, `host.cgroupControllers`, `host.security`. */
  libpod?: Record<string, unknown>
  /** Owner of the engine's storage (info.DockerRootDir) when it is on this machine: the engine's user. */
  rootDirOwner?: SandboxUser
}

/** Which of the sandbox's limits the engine can apply. */
export interface EngineLimits {
  memory: boolean
  cpu: boolean
  pids: boolean
}

/** How to make a sandbox on this engine. */
export interface EnginePlan {
  kind: EngineKind
  /** The uid:gid the container and every exec run as, inside. */
  user: SandboxUser
  /** Who files written as `user` belong to on the host: the workspace and HOME must be theirs. */
  hostOwner: SandboxUser
  /** HostConfig.UsernsMode: Podman's `keep-id` maps the host user to the same uid inside. */
  usernsMode?: string
  /** Root inside is the unprivileged host user (rootless Docker): uid 0 is allowed, still with no caps. */
  rootIsHostUser: boolean
  /** How a tmpfs HOME is given to `user`: Docker's uid=/gid= options, or Podman's `U`. */
  tmpfsOwner: 'ids' | 'podman'
  /** SELinux is on: bind mounts are relabelled (`Z` private to the container, `z` shared). */
  selinux: boolean
  limits: EngineLimits
  /** For the task's timeline: what the engine cannot do and what the task runs without. */
  notes: string[]
}

const ALL_LIMITS: EngineLimits = { memory: true, cpu: true, pids: true }
const NO_LIMITS: EngineLimits = { memory: false, cpu: false, pids: false }

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

/** Today's plan: a rootful Docker engine, the container running as `user`, every limit applied. */
export function classicPlan(user: SandboxUser): EnginePlan {
  return {
    kind: 'docker',
    user,
    hostOwner: user,
    rootIsHostUser: false,
    tmpfsOwner: 'ids',
    selinux: false,
    limits: { ...ALL_LIMITS },
    notes: [],
  }
}

function securityOptions(answers: EngineAnswers): string[] {
  return list(answers.info?.SecurityOptions).map(str)
}

const hasSecurityOption = (answers: EngineAnswers, name: string): boolean =>
  securityOptions(answers).some((o) => o.split(',').includes(`name=${name}`))

/** Podman says so in version's Components ("Podman Engine"), its Platform name, or info's Buildah fields. */
export function isPodman(answers: EngineAnswers): boolean {
  const version = obj(answers.version)
  const components = list(version.Components).map((c) => str(obj(c).Name))
  return (
    components.some((name) => /podman/i.test(name)) ||
    /podman/i.test(str(obj(version.Platform).Name)) ||
    typeof answers.info?.BuildahVersion === 'string' ||
    answers.libpod !== undefined
  )
}

/** Rootless: `name=rootless` in SecurityOptions (Docker), or Podman's `Rootless` / libpod `security.rootless`. */
export function isRootless(answers: EngineAnswers): boolean {
  const libpodSecurity = obj(obj(answers.libpod?.host).security)
  return (
    hasSecurityOption(answers, 'rootless') ||
    answers.info?.Rootless === true ||
    libpodSecurity.rootless === true
  )
}

/**
 * The product that answered, from info (and version, for Podman): Docker Desktop, OrbStack, Colima and
 * Rancher Desktop by their OperatingSystem or Name, then Podman; undefined for a plain Docker engine
 * (whose socket's path may still say more, see engine-discovery.ts). The one place products are told apart.
 */
export function engineProduct(answers: EngineAnswers): EngineProduct | undefined {
  const os = str(answers.info?.OperatingSystem)
  const name = str(answers.info?.Name)
  if (/docker desktop/i.test(os) || name === 'docker-desktop') return 'docker-desktop'
  if (/orbstack/i.test(os) || name === 'orbstack') return 'orbstack'
  if (/^colima(-|$)/.test(name)) return 'colima'
  if (/rancher desktop/i.test(os) || /rancher-desktop/.test(name)) return 'rancher-desktop'
  if (isPodman(answers)) return 'podman'
  return undefined
}

export function engineKind(answers: EngineAnswers): EngineKind {
  const rootless = isRootless(answers)
  if (isPodman(answers)) return rootless ? 'podman-rootless' : 'podman'
  return rootless ? 'docker-rootless' : 'docker'
}

/** SELinux enforcing labels: `name=selinux` in SecurityOptions, or libpod `security.selinuxEnabled`. */
export function hasSelinux(answers: EngineAnswers): boolean {
  const libpodSecurity = obj(obj(answers.libpod?.host).security)
  return hasSecurityOption(answers, 'selinux') || libpodSecurity.selinuxEnabled === true
}

/** The host ids the engine's container root maps to (libpod `idMappings`: container_id 0's host_id). */
function mappedRoot(libpod: Record<string, unknown> | undefined): SandboxUser | undefined {
  const mappings = obj(obj(libpod?.host).idMappings)
  const rootOf = (key: string): number | undefined => {
    const entry = list(mappings[key])
      .map(obj)
      .find((m) => m.container_id === 0)
    return typeof entry?.host_id === 'number' ? entry.host_id : undefined
  }
  const uid = rootOf('uidmap')
  const gid = rootOf('gidmap')
  return uid !== undefined && gid !== undefined ? { uid, gid } : undefined
}

/** The user a rootless engine runs as: from its id mappings, else the owner of its storage. */
export function engineUser(answers: EngineAnswers): SandboxUser | undefined {
  const mapped = mappedRoot(answers.libpod)
  if (mapped && mapped.uid !== 0) return mapped
  if (answers.rootDirOwner && answers.rootDirOwner.uid !== 0) return answers.rootDirOwner
  return undefined
}

const LIMIT_NAMES: Record<keyof EngineLimits, string> = {
  memory: 'memory',
  cpu: 'CPU',
  pids: 'process (pids)',
}

function limitsNote(engine: string, limits: EngineLimits, why: string, fix: string): string | undefined {
  const missing = (Object.keys(LIMIT_NAMES) as (keyof EngineLimits)[]).filter((k) => !limits[k])
  if (!missing.length) return undefined
  const names = missing.map((k) => LIMIT_NAMES[k])
  const named = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
  return `${engine} cannot apply the sandbox's ${named} limit${names.length === 1 ? '' : 's'} (${why}): the task runs without ${names.length === 1 ? 'it' : 'them'}. ${fix}`
}

const DELEGATE_FIX =
  'To get them, run the engine on cgroup v2 with systemd delegating the controllers to your user ' +
  '(`Delegate=cpu memory pids` in a drop-in for user@.service).'

/** What the info booleans say the engine can limit (a missing field is taken as yes). */
function infoLimits(info: Record<string, unknown>): EngineLimits {
  return {
    memory: info.MemoryLimit !== false,
    cpu: info.CpuCfsQuota !== false,
    pids: info.PidsLimit !== false,
  }
}

/**
 * The limits a rootless engine can apply: none on cgroup v1 or without a cgroup manager that delegates
 * (rootless cgroupfs, Docker's `none`); on cgroup v2 with systemd, the controllers delegated to the user
 * (Podman lists them in libpod `cgroupControllers`; Docker says so in info's MemoryLimit/CpuCfsQuota/…).
 */
function rootlessLimits(answers: EngineAnswers): { limits: EngineLimits; why: string } {
  const info = answers.info ?? {}
  const version = str(info.CgroupVersion)
  const driver = str(info.CgroupDriver)
  if (version === '1') return { limits: NO_LIMITS, why: 'rootless on cgroup v1' }
  if (driver === 'none') return { limits: NO_LIMITS, why: 'rootless without cgroups' }
  const controllers = obj(answers.libpod?.host).cgroupControllers
  if (Array.isArray(controllers)) {
    const has = (name: string): boolean => controllers.includes(name)
    return {
      limits: { memory: has('memory'), cpu: has('cpu'), pids: has('pids') },
      why: `rootless, with ${controllers.length ? controllers.map(str).join(', ') : 'no cgroup controllers'} delegated`,
    }
  }
  if (driver === 'cgroupfs') return { limits: NO_LIMITS, why: 'rootless with the cgroupfs manager' }
  return { limits: infoLimits(info), why: 'rootless, those cgroup controllers not delegated' }
}

const ENGINE_NAMES: Record<EngineKind, string> = {
  docker: 'The Docker engine',
  'docker-rootless': 'Rootless Docker',
  podman: 'Podman',
  'podman-rootless': 'Rootless Podman',
}

/**
 * How to run the sandbox on the engine that answered. `hostUser` is who a rootful engine runs it as
 * (`sandboxUser()`): the host user, or the image's `agent` when the app runs as root.
 * - rootful Docker or Podman: as `hostUser`, as before;
 * - rootless Podman: `keep-id`, so the container runs as the engine's own user with the same uid inside;
 * - rootless Docker: as 0:0, which is the engine's user on the host (still no capabilities and
 *   no-new-privileges: root inside can write only what the user owns);
 * and the limits the engine can apply, with a note naming the ones it cannot.
 */
export function planEngine(answers: EngineAnswers, hostUser: SandboxUser): EnginePlan {
  const kind = engineKind(answers)
  const selinux = hasSelinux(answers)
  const tmpfsOwner = kind === 'podman' || kind === 'podman-rootless' ? 'podman' : 'ids'
  const rootless = kind === 'docker-rootless' || kind === 'podman-rootless'
  const { limits, why } = rootless
    ? rootlessLimits(answers)
    : { limits: infoLimits(answers.info ?? {}), why: 'its kernel or cgroup setup lacks the controller' }
  const fix = rootless ? DELEGATE_FIX : 'Enable the cgroup controllers on the engine host to get them.'
  const note = limitsNote(ENGINE_NAMES[kind], limits, why, fix)
  const base = { kind, selinux, tmpfsOwner, limits: { ...limits }, notes: note ? [note] : [] } as const
  const owner = engineUser(answers) ?? hostUser
  switch (kind) {
    case 'podman-rootless':
      return { ...base, user: owner, hostOwner: owner, usernsMode: 'keep-id', rootIsHostUser: false }
    case 'docker-rootless':
      return { ...base, user: { uid: 0, gid: 0 }, hostOwner: owner, rootIsHostUser: true }
    default:
      return { ...base, user: hostUser, hostOwner: hostUser, rootIsHostUser: false }
  }
}

/**
 * Whether a create error is the engine refusing a limit it cannot apply (no delegated controller, no
 * CFS), as opposed to anything else: then the sandbox is made again without limits, with a note.
 */
export function isLimitRefusal(message: string): boolean {
  return (
    /cgroup/i.test(message) ||
    /NanoCPUs can not be set|CPU CFS scheduler|pids limit|memory limit|controller .* (is )?not (available|enabled)/i.test(
      message,
    )
  )
}

/** The note for a sandbox made again without limits after the engine refused them. */
export function limitRefusalNote(message: string): string {
  return (
    `The engine refused the sandbox's memory, CPU and process limits (${message.trim().slice(0, 300)}): ` +
    `the task runs without them. ${DELEGATE_FIX}`
  )
}

/**
 * Where Podman answers its own info: libpod's routes exist only under a version (`/v4.3.1/libpod/info`;
 * plain `/libpod/info` is a 404), one between its minimum and its own, so its own (version's "Podman
 * Engine" component) is asked, else 4.0.0 (every Podman 4 and 5 takes it).
 */
export function libpodInfoPath(version: Record<string, unknown> | undefined): string {
  const podman = list(version?.Components)
    .map(obj)
    .find((c) => /podman/i.test(str(c.Name)))
  const own = str(obj(podman?.Details).APIVersion) || str(podman?.Version)
  return `/v${/^\d+\.\d+(\.\d+)?$/.test(own) ? own : '4.0.0'}/libpod/info`
}

/** Podman answers its own API under /libpod; anything else gets undefined. */
async function libpodInfo(
  docker: Docker,
  version: Record<string, unknown> | undefined,
): Promise<Record<string, unknown> | undefined> {
  try {
    const answer: unknown = await new Promise((resolve, reject) => {
      docker.modem.dial(
        { path: libpodInfoPath(version), method: 'GET', statusCodes: { 200: true }, options: {} },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
      )
    })
    return answer && typeof answer === 'object' ? (answer as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

async function ownerOf(path: string): Promise<SandboxUser | undefined> {
  if (!path) return undefined
  const s = await stat(path).catch(() => undefined)
  return s ? { uid: s.uid, gid: s.gid } : undefined
}

/** Asks the engine (info, version, and Podman's libpod info); undefined when it does not answer info. */
export async function detectEngine(docker: Docker): Promise<EngineAnswers | undefined> {
  const info = (await docker.info().catch(() => undefined)) as Record<string, unknown> | undefined
  if (!info) return undefined
  const version = (await docker.version().catch(() => undefined)) as Record<string, unknown> | undefined
  const answers: EngineAnswers = { info, version }
  if (isPodman(answers)) answers.libpod = await libpodInfo(docker, version)
  if (isRootless(answers)) answers.rootDirOwner = await ownerOf(str(info.DockerRootDir))
  return answers
}

/** Kept per connection: `reconnectDocker` gives the same client a new modem, maybe to another engine. */
const detected = new WeakMap<object, Promise<EngineAnswers | undefined>>()

/** `detectEngine`, asked once per client and connection (again after an engine that did not answer). */
export function engineAnswers(docker: Docker): Promise<EngineAnswers | undefined> {
  const key: object = (docker.modem as object | undefined) ?? docker
  const known = detected.get(key)
  if (known) return known
  const asking = detectEngine(docker).then((answers) => {
    if (!answers) detected.delete(key)
    return answers
  })
  detected.set(key, asking)
  return asking
}

/** The plan for this engine; the classic one when it does not say what it is. */
export async function enginePlan(docker: Docker, hostUser: SandboxUser): Promise<EnginePlan> {
  const answers = await engineAnswers(docker)
  return answers ? planEngine(answers, hostUser) : classicPlan(hostUser)
}
