import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../errors'
import type { DockerEndpoint } from './engine-discovery'

/**
 * Trust for remote engines: the SSH host key checked against known_hosts as OpenSSH checks it (ssh2, which
 * docker-modem uses, accepts every host key unless told otherwise), and refusals on either side (TLS
 * certificates, SSH keys, host keys) told as such rather than as "Docker is not running".
 */

type Env = Record<string, string | undefined>

/** What known_hosts says about a host's key. */
export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked'

/** The user's known_hosts files, as OpenSSH reads them by default (user's first, then the system's). */
export function knownHostsFiles(env: Env = process.env, platform = process.platform): string[] {
  const home = env.HOME?.trim() || homedir()
  const user = [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]
  if (platform === 'win32') {
    return [...user, join(env.ProgramData ?? 'C:\\ProgramData', 'ssh', 'ssh_known_hosts')]
  }
  return [...user, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']
}

/** The name known_hosts files a host under: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** An OpenSSH host pattern (`*`, `?`) against a name, case-insensitively. */
function patternMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${re}$`, 'i').test(name)
}

/** A `|1|salt|hash` entry (HashKnownHosts): HMAC-SHA1 of the name keyed with the salt. */
function hashedMatches(entry: string, name: string): boolean {
  const [, kind, salt, hash] = entry.split('|')
  if (kind !== '1' || !salt || !hash) return false
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash
}

/** Whether a line's host field names `name`: a hashed entry, or patterns with `!` negations winning. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, name)
  let matched = false
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (patternMatches(pattern.slice(1), name)) return false
    } else if (patternMatches(pattern, name)) {
      matched = true
    }
  }
  return matched
}

interface KnownHostLine {
  marker?: string
  hosts: string
  key: Buffer
}

function parseLine(line: string): KnownHostLine | undefined {
  const fields = line.trim().split(/\s+/)
  if (!fields[0] || fields[0].startsWith('#')) return undefined
  const marker = fields[0].startsWith('@') ? fields.shift() : undefined
  const [hosts, , key] = fields
  if (!hosts || !key) return undefined
  return { marker, hosts, key: Buffer.from(key, 'base64') }
}

function readLines(files: string[]): KnownHostLine[] {
  const lines: KnownHostLine[] = []
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n')) {
      const parsed = parseLine(line)
      if (parsed) lines.push(parsed)
    }
  }
  return lines
}

/**
 * What known_hosts says of `key` (the host key blob the server sent) for `host` on `port`: known when a line
 * names the host with this key; revoked when a `@revoked` line holds it; changed when lines name the host
 * with other keys only; unknown when none names it. `@cert-authority` lines are not used (certificates are
 * not checked), so a host known only by its CA is unknown.
 */
export function hostKeyVerdict(host: string, port: number, key: Buffer, files: string[]): HostKeyVerdict {
  const name = knownHostsName(host, port)
  const lines = readLines(files).filter(
    (l) => l.marker !== '@cert-authority' && hostFieldMatches(l.hosts, name),
  )
  if (lines.some((l) => l.marker === '@revoked' && l.key.equals(key))) return 'revoked'
  if (lines.some((l) => l.marker === undefined && l.key.equals(key))) return 'known'
  return lines.some((l) => l.marker === undefined) ? 'changed' : 'unknown'
}

/** ssh2's `hostVerifier`: only a host key known_hosts holds for this host passes (read at each connection). */
export function knownHostsVerifier(
  host: string,
  port: number,
  env: Env = process.env,
): (key: Buffer) => boolean {
  return (key) => hostKeyVerdict(host, port, key, knownHostsFiles(env)) === 'known'
}

/** The user an `ssh://` address logs in as: the one it names, else the local user (as ssh does). */
export function sshUsername(url: URL, env: Env = process.env): string {
  const named = decodeURIComponent(url.username)
  if (named) return named
  try {
    return env.USER?.trim() || env.USERNAME?.trim() || userInfo().username
  } catch {
    return 'root'
  }
}

const TLS_CLIENT_REFUSED =
  /alert (bad certificate|certificate required|unknown ca|handshake failure)|alert number (40|42|48|116)/i
const TLS_SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
])

const messageOf = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''

/**
 * The error for a remote engine that refused this client, or whose identity could not be checked; undefined
 * when `err` is no such refusal (the engine is then simply unreachable). Kind docker_unavailable (the
 * engine cannot be used), with a message and hint about keys and certificates instead of starting Docker.
 */
export function remoteEngineRefusal(
  err: unknown,
  endpoint: DockerEndpoint | undefined,
  env: Env = process.env,
): AppError | undefined {
  if (!endpoint || !/^(ssh|tcp|https?):\/\//.test(endpoint.host)) return undefined
  const url = new URL(endpoint.host.replace(/^tcp:\/\//, 'http://'))
  const found = url.protocol === 'ssh:' ? sshRefusal(err, url, env) : tlsRefusal(err, url)
  if (!found) return undefined
  return new AppError('docker_unavailable', found.message, {
    hint: found.hint,
    details: { refusal: found.refusal, reason: messageOf(err).slice(0, 300) },
    cause: err,
  })
}

interface Refusal {
  refusal: string
  message: string
  hint: string
}

function sshRefusal(err: unknown, url: URL, env: Env): Refusal | undefined {
  const message = messageOf(err)
  const port = Number(url.port || 22)
  const login = `${sshUsername(url, env)}@${url.hostname}${port === 22 ? '' : ` -p ${port}`}`
  if (/Host denied \(verification failed\)/.test(message)) {
    const files = knownHostsFiles(env)
    const known = readLines(files).some((l) => hostFieldMatches(l.hosts, knownHostsName(url.hostname, port)))
    return known
      ? {
          refusal: 'ssh_host_key_changed',
          message: `The SSH host key of ${url.hostname} is not the one in known_hosts: the connection may be intercepted, or the host was reinstalled.`,
          hint: `If the host was reinstalled, remove its old key (\`ssh-keygen -R ${knownHostsName(url.hostname, port)}\`), connect once with \`ssh ${login}\` and check the new key's fingerprint; otherwise do not use this engine.`,
        }
      : {
          refusal: 'ssh_host_unknown',
          message: `The SSH host ${url.hostname} is not in known_hosts, so the engine there cannot be trusted yet.`,
          hint: `Connect once in a terminal with \`ssh ${login}\`, check the host key's fingerprint and accept it, then try again.`,
        }
  }
  if (/All configured authentication methods failed/.test(message)) {
    return {
      refusal: 'ssh_auth',
      message: `The SSH server ${url.hostname} did not accept a key of this app's ssh-agent.`,
      hint: env.SSH_AUTH_SOCK
        ? `Add the key that logs in as \`${login}\` to your ssh-agent (\`ssh-add\`), or check the user name in the engine's address.`
        : 'No ssh-agent is reachable (SSH_AUTH_SOCK is not set for the app): start one, add your key with `ssh-add`, and start the app from that session.',
    }
  }
  return undefined
}

function tlsRefusal(err: unknown, url: URL): Refusal | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && TLS_SERVER_UNTRUSTED.has(code)) {
    return {
      refusal: 'tls_server_untrusted',
      message: `The Docker engine at ${url.host} showed a TLS certificate this app does not trust (${messageOf(err)}).`,
      hint: `Put the CA that signed the engine's certificate as ca.pem in the engine's certificate folder; the certificate must name ${url.hostname}.`,
    }
  }
  if (TLS_CLIENT_REFUSED.test(messageOf(err))) {
    return {
      refusal: 'tls_client_refused',
      message: `The Docker engine at ${url.host} refused this app's TLS client certificate (or got none).`,
      hint: "Give the engine's certificate folder the cert.pem and key.pem of a client certificate signed by the engine's CA (with ca.pem), as for DOCKER_CERT_PATH.",
    }
  }
  return undefined
}
