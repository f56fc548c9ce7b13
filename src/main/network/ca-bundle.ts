/**
 * The host's trust, for the sandbox: the sandbox trusts what the host trusts. Behind a TLS-inspecting
 * proxy (as in most companies) the host trusts an extra CA that no container image has; without it every
 * HTTPS client in the sandbox fails (or, as npm does, retries in silence). `collectCaBundle` gathers the
 * host's roots and extra CAs into one PEM bundle — complete, because SSL_CERT_FILE and the other
 * variables replace a tool's CA list rather than adding to it — and `writeCaBundle` puts it where the engine mounts it from.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import * as tls from 'node:tls'
import { AppError } from '../errors'
import { renameWithRetry } from '../util/fs'

/** Where Linux distributions keep the system bundle (the first that exists is read). */
export const LINUX_BUNDLE_PATHS: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+, CentOS
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // Alpine
  '/etc/pki/tls/cacert.pem', // OpenELEC
]

/** Where administrators add CAs (read too, in case the system bundle was not regenerated since). */
export const LINUX_ANCHOR_DIRS: readonly string[] = [
  '/usr/local/share/ca-certificates', // Debian, Ubuntu (update-ca-certificates)
  '/etc/pki/ca-trust/source/anchors', // Fedora, RHEL (update-ca-trust)
  '/etc/ca-certificates/trust-source/anchors', // Arch (trust extract-compat)
]

/** The macOS keychains whose certificates the host trusts system-wide (roots, and what admins added). */
export const MAC_KEYCHAINS: readonly string[] = [
  '/System/Library/Keychains/SystemRootCertificates.keychain',
  '/Library/Keychains/System.keychain',
]

const MAX_FILE_BYTES = 16 * 1024 * 1024
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g

export interface CaBundleOptions {
  /** A PEM file of extra CAs (Settings `network.caBundlePath`); missing or holding no certificate → error. */
  extraPath?: string
  platform?: NodeJS.Platform
  env?: NodeJS.ProcessEnv
  /** macOS: runs `security` with these arguments, resolving to its stdout (injected in tests). */
  runSecurity?: (args: string[]) => Promise<string>
  /**
   * The OS store as Node sees it (default `tls.getCACertificates('system')` where the Node version has it,
   * as Electron's does); read on Windows and macOS.
   */
  systemCertificates?: () => string[] | undefined
  /** Linux: the system bundle candidates and the anchor directories (defaults above; tests point elsewhere). */
  linuxBundlePaths?: readonly string[]
  linuxAnchorDirs?: readonly string[]
}

export interface CaBundle {
  /** Every distinct valid certificate, PEM, one after another. */
  pem: string
  /** What was read, in order, each with how many certificates it added. */
  sources: string[]
  /** How many certificates the bundle holds beyond Node's own roots (the host's extra trust). */
  extraCount: number
  /** How many certificates in all. */
  count: number
  /** PEM blocks that were not certificates, or certificates that did not parse: left out. */
  skipped: number
  /** Sources that were named but could not be read (an unset or stale variable): left out. */
  warnings: string[]
  /** A short hash of the bundle (`caBundleHash`). */
  hash: string
}

interface Parsed {
  certs: X509Certificate[]
  skipped: number
}

/** The certificates of a PEM text (or of a single DER certificate), with how many blocks were no good. */
export function parseCertificates(data: string | Buffer): Parsed {
  const text = typeof data === 'string' ? data : data.toString('latin1')
  const certs: X509Certificate[] = []
  let skipped = 0
  let blocks = 0
  for (const m of text.matchAll(PEM_BLOCK)) {
    blocks++
    if (m[1] !== 'CERTIFICATE') {
      skipped++
      continue
    }
    try {
      certs.push(new X509Certificate(m[0]))
    } catch {
      skipped++
    }
  }
  if (!blocks && typeof data !== 'string' && data.length && data[0] === 0x30) {
    try {
      certs.push(new X509Certificate(data))
    } catch {
      skipped++
    }
  }
  return { certs, skipped }
}

let nodeRoots: Set<string> | undefined

/** SHA-256 fingerprints of Node's bundled roots (Mozilla's list, as this Node ships it). */
function nodeRootFingerprints(): Set<string> {
  nodeRoots ??= new Set(parseCertificates(tls.rootCertificates.join('\n')).certs.map((c) => c.fingerprint256))
  return nodeRoots
}

/** The certificates of `pem` that are not among Node's bundled roots: what the host trusts beyond them. */
export function extraCertificates(pem: string): X509Certificate[] {
  const roots = nodeRootFingerprints()
  return parseCertificates(pem).certs.filter((c) => !roots.has(c.fingerprint256))
}

/** A short (12 hex) hash of a bundle, for image tags and file names. */
export function caBundleHash(pem: string): string {
  return createHash('sha256').update(pem).digest('hex').slice(0, 12)
}

async function readSmall(path: string): Promise<Buffer> {
  const data = await readFile(path)
  if (data.length > MAX_FILE_BYTES) throw new Error(`${path} is larger than 16 MiB`)
  return data
}

function defaultSecurity(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/security', args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    )
  })
}

function defaultSystemCertificates(): string[] | undefined {
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates
  return typeof get === 'function' ? get('system') : undefined
}

class Collector {
  private readonly seen = new Set<string>()
  readonly certs: X509Certificate[] = []
  readonly sources: string[] = []
  readonly warnings: string[] = []
  skipped = 0

  /** Adds what `data` holds; returns how many certificates were new. */
  add(label: string, data: string | Buffer): number {
    const parsed = parseCertificates(data)
    this.skipped += parsed.skipped
    let added = 0
    for (const cert of parsed.certs) {
      if (this.seen.has(cert.fingerprint256)) continue
      this.seen.add(cert.fingerprint256)
      this.certs.push(cert)
      added++
    }
    this.sources.push(`${label} (${added} new of ${parsed.certs.length})`)
    return added
  }

  async addFile(label: string, path: string): Promise<boolean> {
    try {
      this.add(label, await readSmall(path))
      return true
    } catch (err) {
      this.warnings.push(`${label}: ${(err as Error).message}`)
      return false
    }
  }
}

async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesIn(path)))
    else if (/\.(crt|pem|cer)$/i.test(entry.name)) out.push(path)
  }
  return out
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false
}

/**
 * The host's trust as one PEM bundle: the system store (Linux: SSL_CERT_FILE, else the distribution's
 * bundle, plus the administrators' anchor directories; macOS: the system keychains via `security`;
 * Windows: the system store through Node when it can read it), NODE_EXTRA_CA_CERTS, `extraPath`, and
 * always Node's bundled roots, so the bundle is complete wherever the OS store could not be read.
 * Non-certificates and certificates that do not parse are dropped (counted in `skipped`), duplicates
 * once. Trust settings (a root distrusted in the macOS keychain) are not evaluated: what is in the
 * store is taken.
 */
export async function collectCaBundle(opts: CaBundleOptions = {}): Promise<CaBundle> {
  const platform = opts.platform ?? process.platform
  const env = opts.env ?? process.env
  const c = new Collector()

  const sslCertFile = env.SSL_CERT_FILE?.trim()
  if (sslCertFile) await c.addFile(`SSL_CERT_FILE ${sslCertFile}`, sslCertFile)

  if (platform === 'linux') {
    if (!sslCertFile) {
      for (const path of opts.linuxBundlePaths ?? LINUX_BUNDLE_PATHS) {
        if (await isFile(path)) {
          await c.addFile(path, path)
          break
        }
      }
    }
    for (const dir of opts.linuxAnchorDirs ?? LINUX_ANCHOR_DIRS) {
      for (const path of await filesIn(dir)) await c.addFile(path, path)
    }
  } else if (platform === 'darwin') {
    const run = opts.runSecurity ?? defaultSecurity
    for (const keychain of MAC_KEYCHAINS) {
      try {
        c.add(`keychain ${keychain}`, await run(['find-certificate', '-a', '-p', keychain]))
      } catch (err) {
        c.warnings.push(`keychain ${keychain}: ${(err as Error).message.split('\n')[0]}`)
      }
    }
  }
  if (platform === 'darwin' || platform === 'win32') {
    const system = (opts.systemCertificates ?? defaultSystemCertificates)()
    if (system) c.add('system store (Node)', system.join('\n'))
    else if (platform === 'win32') c.warnings.push('system store: this Node cannot read it')
  }

  const nodeExtra = env.NODE_EXTRA_CA_CERTS?.trim()
  if (nodeExtra) await c.addFile(`NODE_EXTRA_CA_CERTS ${nodeExtra}`, nodeExtra)

  if (opts.extraPath) {
    let data: Buffer
    try {
      data = await readSmall(opts.extraPath)
    } catch (err) {
      throw new AppError(
        'invalid_input',
        `Could not read the CA bundle ${opts.extraPath}: ${(err as Error).message}`,
        {
          hint: 'Fix or clear the CA bundle path in Settings (network).',
          cause: err,
        },
      )
    }
    if (!parseCertificates(data).certs.length) {
      throw new AppError('invalid_input', `The CA bundle ${opts.extraPath} holds no certificate.`, {
        hint: 'Point Settings (network) at a PEM file of CA certificates, or clear it.',
      })
    }
    c.add(`settings ${opts.extraPath}`, data)
  }

  c.add('Node bundled roots', tls.rootCertificates.join('\n'))

  const roots = nodeRootFingerprints()
  const pem = c.certs.map((cert) => cert.toString().trim() + '\n').join('')
  return {
    pem,
    sources: c.sources,
    extraCount: c.certs.filter((cert) => !roots.has(cert.fingerprint256)).length,
    count: c.certs.length,
    skipped: c.skipped,
    warnings: c.warnings,
    hash: caBundleHash(pem),
  }
}

/** Writes the bundle to `path` atomically (a temporary file renamed over it), mode 0644. */
export async function writeCaBundle(path: string, pem: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, pem, { mode: 0o644, flag: 'wx' })
    await chmod(tmp, 0o644)
    await renameWithRetry(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
