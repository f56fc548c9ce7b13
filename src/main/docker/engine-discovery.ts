import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * Where the Docker engine is, found the way the docker CLI finds it: the app's own setting, then
 * `DOCKER_HOST`, then `DOCKER_CONTEXT`, then the current context of `~/.docker/config.json`, then the
 * sockets the usual engines create (Docker Desktop, OrbStack, Colima, Rancher Desktop, rootless Docker,
 * Podman), then the system socket (or Windows' named pipe). An app started from the Dock or the Start
 * menu has no shell environment, so the context and the sockets are what usually find it.
 */

/** What discovery looks at; everything is injectable so tests can stand in a temp HOME and platform. */
export interface DiscoveryEnv {
  platform?: NodeJS.Platform
  home?: string
  env?: Record<string, string | undefined>
  /** Prefix for system-wide paths (/var/run, /run, /usr); tests point it at a temp dir. Default ''. */
  root?: string
  /** The user's id, for rootless Docker's /run/user/<uid> when XDG_RUNTIME_DIR is unset. */
  uid?: number
}

export type EndpointSource = 'setting' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'context' | 'socket' | 'default'

/** The engines whose sockets discovery knows by their path. */
export type EngineProduct =
  'docker-desktop' | 'orbstack' | 'colima' | 'rancher-desktop' | 'rootless-docker' | 'podman' | 'docker'

export interface DockerEndpoint {
  /** unix:///path, npipe:////./pipe/name, tcp://host:port or ssh://user@host. */
  host: string
  source: EndpointSource
  /** The docker context it came from (source 'DOCKER_CONTEXT' or 'context'). */
  context?: string
  /** The engine the socket's path belongs to, when the path says. */
  product?: EngineProduct
  /** The context's client certificates (a TLS tcp:// endpoint), as paths. */
  tls?: { ca?: string; cert?: string; key?: string; skipVerify: boolean }
  /** What was skipped on the way here (a context without metadata, an unreadable config). */
  notes: string[]
}

export interface ResolvedDiscovery {
  platform: NodeJS.Platform
  home: string
  env: Record<string, string | undefined>
  root: string
  uid?: number
}

const WINDOWS_PIPE = 'npipe:////./pipe/docker_engine'

export function discoveryDefaults(opts: DiscoveryEnv = {}): ResolvedDiscovery {
  return {
    platform: opts.platform ?? process.platform,
    home: opts.home ?? homedir(),
    env: opts.env ?? process.env,
    root: opts.root ?? '',
    uid: opts.uid ?? process.getuid?.(),
  }
}

/** The docker CLI's configuration directory: DOCKER_CONFIG, else ~/.docker. */
export const dockerConfigDir = (d: ResolvedDiscovery): string =>
  d.env.DOCKER_CONFIG?.trim() || join(d.home, '.docker')

/** Where the CLI keeps a context's metadata: meta/<sha256 of its name>/meta.json. */
export function contextMetaPath(configDir: string, name: string): string {
  return join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json')
}

/** A socket path as a host URL; Windows pipes keep their //./pipe/ form. */
export function socketHost(path: string): string {
  return /^(\/\/|\\\\)\.(\/|\\)pipe(\/|\\)/.test(path)
    ? `npipe://${path.replace(/\\/g, '/')}`
    : `unix://${path}`
}

/** The local socket or pipe a host URL names, else undefined (tcp://, ssh://). */
export function socketPathOfHost(host: string): string | undefined {
  if (host.startsWith('unix://')) return host.slice('unix://'.length) || undefined
  if (host.startsWith('npipe://')) return host.slice('npipe://'.length) || '//./pipe/docker_engine'
  return undefined
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket()
  } catch {
    return false
  }
}

/** The sockets of the engines people run, most specific first, for this platform. */
export function knownSockets(d: ResolvedDiscovery): { path: string; product: EngineProduct }[] {
  if (d.platform === 'win32') {
    return [
      { path: '//./pipe/docker_engine', product: 'docker' },
      { path: '//./pipe/dockerDesktopLinuxEngine', product: 'docker-desktop' },
      { path: '//./pipe/podman-machine-default', product: 'podman' },
    ]
  }
  const h = (...parts: string[]): string => join(d.home, ...parts)
  const xdgConfig = d.env.XDG_CONFIG_HOME?.trim() || h('.config')
  const runtimeDir =
    d.env.XDG_RUNTIME_DIR?.trim() ||
    (d.platform === 'linux' && d.uid !== undefined ? `${d.root}/run/user/${d.uid}` : undefined)
  const list: { path: string; product: EngineProduct }[] = [
    { path: h('.docker', 'run', 'docker.sock'), product: 'docker-desktop' },
    { path: h('.docker', 'desktop', 'docker.sock'), product: 'docker-desktop' },
    { path: h('.orbstack', 'run', 'docker.sock'), product: 'orbstack' },
    { path: h('.colima', 'default', 'docker.sock'), product: 'colima' },
    { path: join(xdgConfig, 'colima', 'default', 'docker.sock'), product: 'colima' },
    { path: h('.rd', 'docker.sock'), product: 'rancher-desktop' },
  ]
  if (runtimeDir) {
    list.push({ path: join(runtimeDir, 'docker.sock'), product: 'rootless-docker' })
    list.push({ path: join(runtimeDir, 'podman', 'podman.sock'), product: 'podman' })
  }
  list.push({ path: `${d.root}/run/podman/podman.sock`, product: 'podman' })
  list.push({ path: `${d.root}/var/run/docker.sock`, product: 'docker' })
  return list
}

/** The engine a socket path belongs to, by the path alone. */
export function productOfHost(host: string, d: ResolvedDiscovery): EngineProduct | undefined {
  const path = socketPathOfHost(host)
  if (!path) return undefined
  const known = knownSockets(d).find((s) => s.path === path)
  if (known) return known.product
  if (/dockerDesktop|[/\\]\.docker[/\\](run|desktop)[/\\]/i.test(path)) return 'docker-desktop'
  if (/orbstack/i.test(path)) return 'orbstack'
  if (/colima/i.test(path)) return 'colima'
  if (/[/\\]\.rd[/\\]|rancher/i.test(path)) return 'rancher-desktop'
  if (/podman/i.test(path)) return 'podman'
  return undefined
}

interface ContextMeta {
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } }
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown
}

/** A context's endpoint, or why it cannot be used. */
function contextEndpoint(
  d: ResolvedDiscovery,
  name: string,
  source: 'DOCKER_CONTEXT' | 'context',
): DockerEndpoint | { note: string } {
  const configDir = dockerConfigDir(d)
  let meta: ContextMeta
  try {
    meta = readJson(contextMetaPath(configDir, name)) as ContextMeta
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return {
      note: `docker context “${name}” has ${code === 'ENOENT' ? 'no metadata' : 'unreadable metadata'}`,
    }
  }
  const docker = meta?.Endpoints?.docker
  const host = typeof docker?.Host === 'string' ? docker.Host.trim() : ''
  if (!host || !usableHost(host)) return { note: `docker context “${name}” names no usable Docker endpoint` }
  const endpoint: DockerEndpoint = { host, source, context: name, product: productOfHost(host, d), notes: [] }
  const tlsDir = join(configDir, 'contexts', 'tls', createHash('sha256').update(name).digest('hex'), 'docker')
  const file = (f: string): string | undefined => {
    try {
      return statSync(join(tlsDir, f)).isFile() ? join(tlsDir, f) : undefined
    } catch {
      return undefined
    }
  }
  const [ca, cert, key] = [file('ca.pem'), file('cert.pem'), file('key.pem')]
  if (ca || cert || key) endpoint.tls = { ca, cert, key, skipVerify: docker?.SkipTLSVerify === true }
  return endpoint
}

/** The CLI's current context: config.json's currentContext, when it is not "default". */
function currentContext(d: ResolvedDiscovery): { name?: string; note?: string } {
  const path = join(dockerConfigDir(d), 'config.json')
  try {
    const config = readJson(path) as { currentContext?: unknown }
    const name = typeof config?.currentContext === 'string' ? config.currentContext.trim() : ''
    return name ? { name } : {}
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    return { note: `${path} could not be read (${(err as Error).message.split('\n')[0]})` }
  }
}

/** DOCKER_HOST as the CLI reads it: a bare host:port is tcp. */
function normalizeHost(value: string): string {
  const v = value.trim()
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `tcp://${v}`
}

/** Whether a host URL is one the client can use (a junk DOCKER_HOST must not stop the app from starting). */
export function usableHost(host: string): boolean {
  if (socketPathOfHost(host)) return true
  if (!/^(tcp|ssh|http|https):\/\//.test(host)) return false
  try {
    return Boolean(new URL(host.replace(/^tcp:\/\//, 'http://')).hostname)
  } catch {
    return false
  }
}

/**
 * The engine to talk to. `setting` (Settings → Docker → Engine) wins; then the docker CLI's order. A
 * context that cannot be read falls through to the known sockets, with a note saying so.
 */
export function resolveDockerEndpoint(opts: DiscoveryEnv & { setting?: string } = {}): DockerEndpoint {
  const d = discoveryDefaults(opts)
  const notes: string[] = []
  const make = (host: string, source: EndpointSource, product?: EngineProduct): DockerEndpoint => ({
    host,
    source,
    product: product ?? productOfHost(host, d),
    notes,
  })
  const given = (value: string | undefined, what: string): string | undefined => {
    if (!value?.trim()) return undefined
    const host = normalizeHost(value)
    if (usableHost(host)) return host
    notes.push(`${what} “${value.trim()}” is not an engine address; looked elsewhere`)
    return undefined
  }
  const setting = given(opts.setting, 'The engine address in Settings')
  if (setting) return make(setting, 'setting')
  const envHost = given(d.env.DOCKER_HOST, 'DOCKER_HOST')
  if (envHost) return make(envHost, 'DOCKER_HOST')
  const fromContext = (name: string, source: 'DOCKER_CONTEXT' | 'context'): DockerEndpoint | undefined => {
    if (name === 'default') return undefined
    const found = contextEndpoint(d, name, source)
    if ('note' in found) {
      notes.push(found.note)
      return undefined
    }
    return { ...found, notes }
  }
  const envContext = d.env.DOCKER_CONTEXT?.trim()
  const current = envContext ? { name: envContext } : currentContext(d)
  if (current.note) notes.push(current.note)
  if (current.name) {
    const endpoint = fromContext(current.name, envContext ? 'DOCKER_CONTEXT' : 'context')
    if (endpoint) return endpoint
  }
  const candidates = knownSockets(d)
  // Named pipes cannot be looked at without connecting: Windows starts with the engine's own pipe.
  if (d.platform === 'win32') return make(WINDOWS_PIPE, 'default', 'docker')
  const found = candidates.find((c) => isSocket(c.path))
  if (found) return make(socketHost(found.path), 'socket', found.product)
  return make(socketHost(`${d.root}/var/run/docker.sock`), 'default', 'docker')
}

/** A line for the UI: where the engine is looked for and why there. */
export function describeEndpoint(endpoint: DockerEndpoint): string {
  switch (endpoint.source) {
    case 'setting':
      return `${endpoint.host} (from Settings)`
    case 'DOCKER_HOST':
      return `${endpoint.host} (from DOCKER_HOST)`
    case 'DOCKER_CONTEXT':
      return `${endpoint.host} (docker context “${endpoint.context ?? ''}”, from DOCKER_CONTEXT)`
    case 'context':
      return `${endpoint.host} (docker context “${endpoint.context ?? ''}”)`
    case 'socket':
      return `${endpoint.host} (found)`
    default:
      return `${endpoint.host} (the default; no other engine found)`
  }
}
