import net from 'node:net'
import tls from 'node:tls'

/**
 * The host's own proxy settings, honoured upstream of the policy proxy: `https_proxy`/`HTTPS_PROXY` for
 * CONNECT tunnels, `http_proxy`/`HTTP_PROXY` for plain HTTP, `all_proxy`/`ALL_PROXY` as the fallback of
 * both (lowercase first, as curl reads them), and `no_proxy`/`NO_PROXY` for the destinations reached
 * directly. The policy proxy always tunnels through an upstream with CONNECT (plain HTTP too), so the
 * upstream connects to the address the policy proxy checked, not to a name it resolves again.
 */

export interface UpstreamProxy {
  /** `http://proxy.example:3128`, never with credentials: safe to log and show. */
  readonly url: string
  readonly protocol: 'http:' | 'https:'
  readonly host: string
  readonly port: number
  /** `Basic …` from the URL's user and password. Not enumerable: it stays out of logs, inspect and JSON. */
  readonly authorization?: string
}

export type UpstreamResolver = (host: string, port: number, secure: boolean) => UpstreamProxy | null

export interface NoProxyRule {
  /** `*`, a name (matches itself and its subdomains), an IP address, or a CIDR range. */
  readonly kind: 'all' | 'name' | 'address' | 'cidr'
  readonly value: string
  readonly bits?: number
  readonly port?: number
}

export interface HostProxySettings {
  readonly https: UpstreamProxy | null
  readonly http: UpstreamProxy | null
  readonly noProxy: readonly NoProxyRule[]
  /** Settings that were present but could not be used (an unsupported scheme, a malformed URL). */
  readonly warnings: readonly string[]
  readonly upstreamFor: UpstreamResolver
}

export class UpstreamError extends Error {
  /** The upstream's status code when it answered the CONNECT with something other than 200. */
  readonly status?: number
  /** `ETIMEDOUT` when the upstream did not answer in time. */
  readonly code?: string
  constructor(message: string, opts: { status?: number; code?: string } = {}) {
    super(message)
    this.name = 'UpstreamError'
    this.status = opts.status
    this.code = opts.code
  }
}

function envValue(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = env[name]?.trim()
    if (v) return v
  }
  return undefined
}

/** Reads the host's proxy variables once; `upstreamFor` then answers per destination. */
export function hostProxySettings(env: NodeJS.ProcessEnv = process.env): HostProxySettings {
  const warnings: string[] = []
  const read = (...names: string[]): UpstreamProxy | null => {
    const value = envValue(env, ...names)
    if (!value) return null
    try {
      return parseProxyUrl(value)
    } catch (err) {
      warnings.push(`${names[0]}: ${(err as Error).message}`)
      return null
    }
  }
  const all = read('all_proxy', 'ALL_PROXY')
  const https = read('https_proxy', 'HTTPS_PROXY') ?? all
  const http = read('http_proxy', 'HTTP_PROXY') ?? all
  const noProxy = parseNoProxy(envValue(env, 'no_proxy', 'NO_PROXY') ?? '')
  const upstreamFor: UpstreamResolver = (host, port, secure) => {
    const proxy = secure ? https : http
    if (!proxy || bypassesProxy(noProxy, host, port)) return null
    return proxy
  }
  return { https, http, noProxy, warnings, upstreamFor }
}

/** The upstream for one destination under the current environment (`secure`: an HTTPS / CONNECT tunnel). */
export function upstreamFor(
  host: string,
  port: number,
  secure: boolean,
  env: NodeJS.ProcessEnv = process.env,
): UpstreamProxy | null {
  return hostProxySettings(env).upstreamFor(host, port, secure)
}

/** `http://user:pass@proxy:3128`, `https://proxy`, or `proxy:3128` (http). Errors never carry the credentials. */
export function parseProxyUrl(value: string): UpstreamProxy {
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`)
  } catch {
    throw new Error('not a proxy URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `${url.protocol.slice(0, -1)} proxies are not supported (use an http:// or https:// proxy)`,
    )
  }
  const protocol = url.protocol
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (!host) throw new Error('not a proxy URL')
  const port = url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80
  const shownHost = net.isIPv6(host) ? `[${host}]` : host
  const proxy: UpstreamProxy = { url: `${protocol}//${shownHost}:${port}`, protocol, host, port }
  if (url.username || url.password) {
    const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`
    Object.defineProperty(proxy, 'authorization', {
      value: `Basic ${Buffer.from(credentials).toString('base64')}`,
      enumerable: false,
    })
  }
  return Object.freeze(proxy)
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** `NO_PROXY`: entries separated by commas or spaces; `*` for everything; `name[:port]`, `.name`, `*.name`, IPs, CIDRs. */
export function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = []
  for (const raw of value.toLowerCase().split(/[\s,]+/)) {
    let entry = raw.trim()
    if (!entry) continue
    if (entry === '*') {
      rules.push({ kind: 'all', value: '*' })
      continue
    }
    let port: number | undefined
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
    if (bracketed) {
      entry = bracketed[1] ?? ''
      port = bracketed[2] ? Number(bracketed[2]) : undefined
    } else if (!net.isIPv6(entry.split('/')[0] ?? '')) {
      const m = /^(.*):(\d+)$/.exec(entry)
      if (m) {
        entry = m[1] ?? ''
        port = Number(m[2])
      }
    }
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry)
    if (cidr && net.isIP(cidr[1] ?? '')) {
      rules.push({ kind: 'cidr', value: cidr[1] ?? '', bits: Number(cidr[2]), port })
    } else if (net.isIP(entry)) {
      rules.push({ kind: 'address', value: entry, port })
    } else {
      const name = entry.replace(/^\*?\.+/, '').replace(/\.$/, '')
      if (name) rules.push({ kind: 'name', value: name, port })
    }
  }
  return rules
}

/**
 * Whether a destination bypasses the upstream: a name rule matches the name itself and its subdomains
 * (curl's reading, also for `.name` and `*.name`); address and CIDR rules match IP-literal destinations.
 */
export function bypassesProxy(rules: readonly NoProxyRule[], host: string, port: number): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  return rules.some((r) => {
    if (r.port !== undefined && r.port !== port) return false
    switch (r.kind) {
      case 'all':
        return true
      case 'name':
        return h === r.value || h.endsWith(`.${r.value}`)
      case 'address':
        return inRange(h, r.value)
      case 'cidr':
        return inRange(h, r.value, r.bits ?? 0)
    }
  })
}

/** Whether `ip` is the address `base`, or with `bits` inside the range `base/bits`; false across families. */
function inRange(ip: string, base: string, bits?: number): boolean {
  const family = net.isIP(ip)
  if (family === 0 || net.isIP(base) !== family) return false
  const type = family === 4 ? 'ipv4' : 'ipv6'
  const list = new net.BlockList()
  if (bits === undefined) list.addAddress(base, type)
  else list.addSubnet(base, bits, type)
  return list.check(ip, type)
}

const MAX_RESPONSE_HEAD = 16 * 1024

/**
 * Opens a tunnel to `host:port` through the upstream (CONNECT, with its basic credentials). Resolves with
 * the socket, paused, positioned after the upstream's response head; rejects with an UpstreamError.
 * `lookup` resolves the upstream's own name (default: Node's, once per connection).
 */
export function connectThroughUpstream(
  up: UpstreamProxy,
  host: string,
  port: number,
  opts: { timeoutMs?: number; lookup?: net.LookupFunction } = {},
): Promise<net.Socket> {
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
  const { lookup } = opts
  return new Promise((resolve, reject) => {
    const socket =
      up.protocol === 'https:'
        ? tls.connect({
            host: up.host,
            port: up.port,
            servername: net.isIP(up.host) ? undefined : up.host,
            lookup,
          })
        : net.connect({ host: up.host, port: up.port, allowHalfOpen: true, lookup })
    let head: Buffer = Buffer.alloc(0)
    let settled = false
    const fail = (message: string, more: { status?: number; code?: string } = {}): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(new UpstreamError(message, more))
    }
    const timeoutMs = opts.timeoutMs ?? 30_000
    const timer = setTimeout(
      () =>
        fail(`the host's proxy ${up.url} did not answer within ${Math.round(timeoutMs / 1000)} s`, {
          code: 'ETIMEDOUT',
        }),
      timeoutMs,
    )
    socket.once(up.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      const auth = up.authorization ? `Proxy-Authorization: ${up.authorization}\r\n` : ''
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`)
    })
    socket.on('error', (err: NodeJS.ErrnoException) =>
      fail(`could not reach the host's proxy ${up.url} (${err.code ?? err.message})`),
    )
    socket.on('close', () => fail(`the host's proxy ${up.url} closed the connection`))
    const onData = (chunk: Buffer): void => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail(`the host's proxy ${up.url} sent an oversized answer`)
        return
      }
      socket.pause()
      socket.off('data', onData)
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1')
      const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
      const status = m ? Number(m[1]) : undefined
      if (status !== 200) {
        const what = m ? `${status} ${m[2] ?? ''}`.trim() : 'something that is not HTTP'
        fail(`the host's proxy ${up.url} answered ${what}`, { status })
        return
      }
      settled = true
      clearTimeout(timer)
      socket.removeAllListeners('error')
      socket.removeAllListeners('close')
      const rest = head.subarray(end + 4)
      if (rest.length) socket.unshift(rest)
      resolve(socket)
    }
    socket.on('data', onData)
  })
}
