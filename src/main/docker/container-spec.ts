import { posix } from 'node:path'
import type Docker from 'dockerode'
import type { SandboxUser } from './workspace-owner'

export const TASK_LABEL = 'codex-sys.task'
export const WORKSPACE_DIR = '/workspace'
export const AGENT_HOME = '/home/agent'
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
/** Where the host directory of the engine's unix sockets (proxy.sock, model.sock) is mounted, read-only. */
export const NET_DIR = '/run/codex-net'
/** Where the host's CA bundle is mounted, read-only. */
export const CA_BUNDLE_PATH = '/etc/ssl/codex/ca-bundle.pem'
/** The Docker network of the `full` mode (see networks.ts). */
export const FULL_NETWORK = 'codex-sys-full'
/** The in-container relay's ports (agent-image/codex-relay): to proxy.sock and model.sock. */
export const RELAY_PROXY_PORT = 3128
export const RELAY_MODEL_PORT = 3129
/** How long the relay started with the container gives its ports to accept, in seconds. */
export const RELAY_START_SECONDS = 10

/** The main command: `sleep infinity`, after starting the relay in a proxied sandbox (see `startRelay`). */
export function sandboxCmd(network: SandboxNetwork): string[] {
  const sleep = ['sleep', 'infinity']
  if (network.kind !== 'proxied' || network.transport === 'exec') return sleep
  return ['codex-relay', '--daemon', '--timeout', String(RELAY_START_SECONDS), '--then', ...sleep]
}

/**
 * The sandbox's network:
 * - `none`: no interface but loopback (the `off` mode);
 * - `proxied`: also no interface but loopback, plus `netDir` (a host directory of unix sockets the engine
 *   serves: proxy.sock, model.sock) mounted read-only at /run/codex-net; `Sandbox.startRelay()` then
 *   carries 127.0.0.1:3128/3129 to those sockets and HTTP(S)_PROXY point at 3128 (`registries`, `custom`).
 *   With `transport: 'exec'` (engines whose containers cannot reach a host socket: Docker Desktop, remote
 *   engines) nothing is mounted: `startRelay()` runs codex-mux under `docker exec` and carries the ports'
 *   connections over the exec's own stream to the same sockets on the host (exec-tunnel.ts);
 * - `full`: the dedicated bridge network `codex-sys-full` (no traffic between its containers, no IPv6),
 *   never Docker's default bridge.
 */
export type SandboxNetwork =
  { kind: 'none' } | { kind: 'proxied'; netDir: string; transport?: ProxyTransport } | { kind: 'full' }

/** How a proxied sandbox reaches the host's sockets: a bind mount of them (default), or an exec tunnel. */
export type ProxyTransport = 'socket' | 'exec'

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
  network: SandboxNetwork
  /**
   * A host PEM file (the host's full trust: system roots and its extra CAs, see network/ca-bundle.ts),
   * mounted read-only at /etc/ssl/codex/ca-bundle.pem with the usual variables pointing at it.
   */
  caBundle?: string
  /**
   * Copy mode (the workspace shipped, never mounted: a remote engine, Docker Desktop): Docker volumes on
   * the engine in place of the bind mounts of `workspace`, `home` and `caBundle` (a volume holding
   * ca-bundle.pem, mounted read-only at its directory).
   */
  volumes?: { workspace: string; home?: string; ca?: string }
}

/**
 * A copy-mode volume's mount in the task's container. NoCopy: a volume still empty (a fresh HOME) is not
 * filled from the image's own files at that path, as Docker does by default — that would slip the
 * image's /home/agent (the Codex image's root-owned ~/.codex) into the task's HOME. The volume's root
 * is the sandbox user's already (workspace-ship.ts's helper).
 */
function volumeMount(source: string, target: string, readOnly: boolean): Docker.MountSettings {
  const VolumeOptions = { NoCopy: true } as Docker.MountSettings['VolumeOptions']
  return { Type: 'volume', Source: source, Target: target, ReadOnly: readOnly, VolumeOptions }
}

/** The container's mounts of the workspace and HOME: bind mounts, or copy mode's volumes. */
function dataMounts(spec: SandboxSpec): Docker.MountSettings[] {
  const v = spec.volumes
  if (v) {
    return [
      volumeMount(v.workspace, WORKSPACE_DIR, false),
      ...(v.home ? [volumeMount(v.home, AGENT_HOME, false)] : []),
    ]
  }
  return [
    { Type: 'bind', Source: spec.workspace, Target: WORKSPACE_DIR, ReadOnly: false },
    ...(spec.home ? [{ Type: 'bind' as const, Source: spec.home, Target: AGENT_HOME, ReadOnly: false }] : []),
  ]
}

/** The CA bundle, read-only: the host file, or copy mode's volume holding it at its directory. */
function caMounts(spec: SandboxSpec): Docker.MountSettings[] {
  if (spec.volumes?.ca) {
    return [
      { Type: 'volume', Source: spec.volumes.ca, Target: posix.dirname(CA_BUNDLE_PATH), ReadOnly: true },
    ]
  }
  return spec.caBundle
    ? [{ Type: 'bind', Source: spec.caBundle, Target: CA_BUNDLE_PATH, ReadOnly: true }]
    : []
}

/** The whole environment of the container: nothing from the engine's own environment ever passes. */
export const SANDBOX_ENV: readonly string[] = [
  `HOME=${AGENT_HOME}`,
  `PATH=${SANDBOX_PATH}`,
  'LANG=C.UTF-8',
  'TERM=dumb',
]

/**
 * Set with a proxied network: ordinary clients (curl, npm, pip, git, apt, Python, Go, cargo) send HTTP
 * and HTTPS through the relay on 127.0.0.1:3128; loopback itself (the model proxy on 3129 among it)
 * stays direct. NODE_USE_ENV_PROXY makes newer Node versions' own fetch and http honour them too.
 */
export const PROXY_ENV: readonly string[] = [
  ...['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].map(
    (name) => `${name}=http://127.0.0.1:${RELAY_PROXY_PORT}`,
  ),
  ...['NO_PROXY', 'no_proxy'].map((name) => `${name}=localhost,127.0.0.1,::1`),
  'NODE_USE_ENV_PROXY=1',
]

/**
 * Set with a CA bundle, each read by the tool named: OpenSSL's default file (Python's ssl and urllib,
 * Go, Ruby, wget, and Node when built to use the system store), Node (added to its own roots, once per
 * process: npm and every Node tool trust it so), Python requests, pip, git and curl. The bundle is the
 * full one, system roots included. Not npm's `cafile`: npm parses it again for every TLS connection
 * (81 tarballs through the proxy cost 3.8 s of parsing where NODE_EXTRA_CA_CERTS costs 22 ms).
 */
export const CA_ENV: readonly string[] = [
  'SSL_CERT_FILE',
  'NODE_EXTRA_CA_CERTS',
  'REQUESTS_CA_BUNDLE',
  'PIP_CERT',
  'GIT_SSL_CAINFO',
  'CURL_CA_BUNDLE',
].map((name) => `${name}=${CA_BUNDLE_PATH}`)

/** The container's environment for this spec: SANDBOX_ENV, plus PROXY_ENV and CA_ENV when they apply. */
export function sandboxEnv(spec: Pick<SandboxSpec, 'network' | 'caBundle'>): string[] {
  return [
    ...SANDBOX_ENV,
    ...(spec.network.kind === 'proxied' ? PROXY_ENV : []),
    ...(spec.caBundle ? CA_ENV : []),
  ]
}

function networkMode(network: SandboxNetwork): string {
  switch (network.kind) {
    case 'none':
    case 'proxied':
      return 'none'
    case 'full':
      return FULL_NETWORK
    default:
      throw new Error(`Unknown sandbox network ${JSON.stringify(network satisfies never)}`)
  }
}

const MIB = 1024 * 1024

/** A container name Docker accepts, recognisable in `docker ps`. */
export function containerName(taskId: string, suffix: string): string {
  const safe = taskId
    .replace(/[^a-zA-Z0-9_.-]/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 64)
  return `codex-sys-${safe || 'task'}-${suffix}`
}

/**
 * The create options of a hardened task container (see DESIGN.md, "One hardened container per task").
 * Never as root, except where root inside is the unprivileged host user (`rootIsHostUser`: rootless
 * Docker, see engine-kind.ts), still with no capabilities and no-new-privileges.
 */
export function containerOptions(
  spec: SandboxSpec,
  user: SandboxUser,
  name: string,
  { rootIsHostUser = false }: { rootIsHostUser?: boolean } = {},
): Docker.ContainerCreateOptions {
  if (user.uid === 0 && !rootIsHostUser) throw new Error('The sandbox never runs as root')
  if (!Number.isInteger(spec.tmpfsMb) || spec.tmpfsMb < 1) {
    throw new Error(`The sandbox tmpfs size must be a whole number of MB (got ${String(spec.tmpfsMb)})`)
  }
  if (spec.network.kind === 'proxied' && !spec.network.netDir) {
    throw new Error('A proxied sandbox network needs the host directory of its sockets (netDir)')
  }
  const tmpfsSize = `size=${spec.tmpfsMb}m`
  const memory = Math.round(spec.memoryMb * MIB)
  return {
    name,
    Image: spec.image,
    Cmd: sandboxCmd(spec.network),
    User: `${user.uid}:${user.gid}`,
    WorkingDir: WORKSPACE_DIR,
    Env: sandboxEnv(spec),
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
        ...(spec.home || spec.volumes?.home
          ? {}
          : { [AGENT_HOME]: `rw,nosuid,nodev,exec,mode=0700,uid=${user.uid},gid=${user.gid},${tmpfsSize}` }),
      },
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(spec.cpus * 1e9),
      PidsLimit: spec.pidsLimit,
      NetworkMode: networkMode(spec.network),
      Mounts: [
        ...dataMounts(spec),
        ...(spec.network.kind === 'proxied' && spec.network.transport !== 'exec'
          ? [{ Type: 'bind' as const, Source: spec.network.netDir, Target: NET_DIR, ReadOnly: true }]
          : []),
        ...caMounts(spec),
      ],
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    },
  }
}
