import { X509Certificate } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import {
  caBundleHash,
  collectCaBundle,
  extraCertificates,
  MAC_KEYCHAINS,
  parseCertificates,
  writeCaBundle,
} from '../../../src/main/network/ca-bundle'
import { makeTestCa } from '../../support/test-ca'
import { tempDir } from '../../support/tmp'

const makeCa = (dir: string, name: string): { pem: string; der: Buffer } => makeTestCa(dir, name)

let certs: { a: string; b: string; c: string; d: string; dDer: Buffer; key: string }
let work: string
const nodeRootCount = new Set(
  parseCertificates(rootCertificates.join('\n')).certs.map((c) => c.fingerprint256),
).size

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'codex-ca-'))
  const a = makeCa(work, 'Test Proxy CA A')
  const b = makeCa(work, 'Test Proxy CA B')
  const c = makeCa(work, 'Test Settings CA C')
  const d = makeCa(work, 'Test DER CA D')
  const key = await readFile(join(work, 'Test Proxy CA A.key'), 'utf8')
  certs = { a: a.pem, b: b.pem, c: c.pem, d: d.pem, dDer: d.der, key }
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

const subjects = (pem: string): string[] => parseCertificates(pem).certs.map((c) => c.subject)
const corrupt = '-----BEGIN CERTIFICATE-----\nMIIBnotreallyacertificate\n-----END CERTIFICATE-----\n'

describe('parseCertificates', () => {
  it('keeps certificates, counts non-certificates and bad ones, reads one DER certificate', () => {
    const parsed = parseCertificates(`junk\n${certs.a}\n${certs.key}\n${corrupt}${certs.b}`)
    expect(parsed.certs.map((c) => c.subject)).toEqual(['CN=Test Proxy CA A', 'CN=Test Proxy CA B'])
    expect(parsed.skipped).toBe(2)
    expect(parseCertificates(certs.dDer).certs[0]!.subject).toBe('CN=Test DER CA D')
    expect(parseCertificates('').certs).toEqual([])
    expect(parseCertificates(certs.a.replace(/\n/g, '\r\n')).certs).toHaveLength(1)
  })
})

describe('collectCaBundle (Linux)', () => {
  async function layout(): Promise<{ system: string; anchors: string; env: NodeJS.ProcessEnv }> {
    const dir = await tempDir()
    const system = join(dir, 'ca-certificates.crt')
    // The system bundle: two public roots and CA A (added by update-ca-certificates).
    await writeFile(system, [rootCertificates[0], rootCertificates[1], certs.a].join('\n'))
    const anchors = join(dir, 'anchors')
    await mkdir(join(anchors, 'sub'), { recursive: true })
    await writeFile(join(anchors, 'a.crt'), certs.a) // also in the system bundle: once
    await writeFile(join(anchors, 'sub', 'b.crt'), certs.b) // not regenerated into the bundle yet
    await writeFile(join(anchors, 'd.crt'), certs.dDer) // DER
    await writeFile(join(anchors, 'notes.txt'), certs.c) // not a certificate file name: ignored
    await writeFile(join(anchors, 'bad.pem'), corrupt)
    return { system, anchors, env: {} }
  }

  it('gathers the system bundle, the anchor directories, NODE_EXTRA_CA_CERTS, the settings file and Node’s roots', async () => {
    const { system, anchors } = await layout()
    const dir = await tempDir()
    const nodeExtra = join(dir, 'node-extra.pem')
    await writeFile(nodeExtra, `${certs.b}${certs.key}`)
    const settings = join(dir, 'settings.pem')
    await writeFile(settings, certs.c)
    const bundle = await collectCaBundle({
      platform: 'linux',
      env: { NODE_EXTRA_CA_CERTS: nodeExtra },
      extraPath: settings,
      linuxBundlePaths: [join(dir, 'missing.crt'), system],
      linuxAnchorDirs: [anchors, join(dir, 'no-such-dir')],
    })
    const names = subjects(bundle.pem)
    for (const x of ['A', 'B', 'C', 'D']) expect(names.filter((n) => n.endsWith(` CA ${x}`))).toHaveLength(1)
    expect(bundle.extraCount).toBe(4)
    expect(bundle.count).toBe(nodeRootCount + 4)
    expect(new Set(parseCertificates(bundle.pem).certs.map((c) => c.fingerprint256)).size).toBe(bundle.count)
    expect(bundle.skipped).toBe(2) // the corrupt anchor and the private key block
    expect(bundle.sources[0]).toBe(`${system} (3 new of 3)`)
    expect(bundle.sources).toContain(`${join(anchors, 'a.crt')} (0 new of 1)`)
    expect(bundle.sources.at(-1)).toMatch(/^Node bundled roots/)
    expect(bundle.hash).toMatch(/^[0-9a-f]{12}$/)
    expect(bundle.hash).toBe(caBundleHash(bundle.pem))
    expect(bundle.warnings).toEqual([])
    // Every block is a certificate Node accepts.
    for (const cert of parseCertificates(bundle.pem).certs)
      expect(() => new X509Certificate(cert.raw)).not.toThrow()
  })

  it('reads SSL_CERT_FILE instead of the distribution’s bundle, and warns when a variable names no file', async () => {
    const { system } = await layout()
    const dir = await tempDir()
    const own = join(dir, 'own.pem')
    await writeFile(own, certs.b)
    const bundle = await collectCaBundle({
      platform: 'linux',
      env: { SSL_CERT_FILE: own, NODE_EXTRA_CA_CERTS: join(dir, 'gone.pem') },
      linuxBundlePaths: [system],
      linuxAnchorDirs: [],
    })
    expect(subjects(bundle.pem)).toContain('CN=Test Proxy CA B')
    expect(subjects(bundle.pem)).not.toContain('CN=Test Proxy CA A')
    expect(bundle.extraCount).toBe(1)
    expect(bundle.warnings).toHaveLength(1)
    expect(bundle.warnings[0]).toMatch(/^NODE_EXTRA_CA_CERTS .*gone\.pem: ENOENT/)
  })

  it('is complete with nothing on the host: Node’s roots', async () => {
    const bundle = await collectCaBundle({
      platform: 'linux',
      env: {},
      linuxBundlePaths: [],
      linuxAnchorDirs: [],
    })
    expect(bundle.count).toBe(nodeRootCount)
    expect(bundle.extraCount).toBe(0)
    expect(extraCertificates(bundle.pem)).toEqual([])
  })

  it('refuses a settings file that is missing or holds no certificate', async () => {
    const dir = await tempDir()
    const opts = { platform: 'linux' as const, env: {}, linuxBundlePaths: [], linuxAnchorDirs: [] }
    const missing = await collectCaBundle({ ...opts, extraPath: join(dir, 'nope.pem') }).catch(
      (e: unknown) => e,
    )
    expect(missing).toBeInstanceOf(AppError)
    expect((missing as AppError).kind).toBe('invalid_input')
    expect((missing as AppError).message).toMatch(/Could not read the CA bundle/)
    const empty = join(dir, 'empty.pem')
    await writeFile(empty, `${certs.key}${corrupt}`)
    const none = (await collectCaBundle({ ...opts, extraPath: empty }).catch((e: unknown) => e)) as AppError
    expect(none.kind).toBe('invalid_input')
    expect(none.message).toMatch(/holds no certificate/)
  })
})

describe('collectCaBundle (macOS, Windows)', () => {
  it('macOS: reads the system keychains with `security find-certificate -a -p`', async () => {
    const calls: string[][] = []
    const bundle = await collectCaBundle({
      platform: 'darwin',
      env: {},
      runSecurity: async (args) => {
        calls.push(args)
        if (args.at(-1) === MAC_KEYCHAINS[1]) return `${certs.a}${certs.b}`
        return rootCertificates.slice(0, 5).join('\n')
      },
      systemCertificates: () => undefined,
    })
    expect(calls).toEqual(MAC_KEYCHAINS.map((k) => ['find-certificate', '-a', '-p', k]))
    expect(bundle.extraCount).toBe(2)
    expect(bundle.sources[0]).toBe(`keychain ${MAC_KEYCHAINS[0]} (5 new of 5)`)
  })

  it('macOS: a keychain that cannot be read is a warning, not a failure', async () => {
    const bundle = await collectCaBundle({
      platform: 'darwin',
      env: {},
      runSecurity: async () => {
        throw new Error('security: SecKeychainOpen failed\nmore')
      },
      systemCertificates: () => [certs.c],
    })
    expect(bundle.warnings).toHaveLength(2)
    expect(bundle.warnings[0]).toMatch(/SecKeychainOpen failed$/)
    expect(subjects(bundle.pem)).toContain('CN=Test Settings CA C')
  })

  it('Windows: the system store through Node when it has one, else a warning and Node’s roots', async () => {
    const withStore = await collectCaBundle({
      platform: 'win32',
      env: {},
      systemCertificates: () => [certs.a, certs.b],
    })
    expect(withStore.extraCount).toBe(2)
    expect(withStore.sources[0]).toBe('system store (Node) (2 new of 2)')
    const without = await collectCaBundle({ platform: 'win32', env: {}, systemCertificates: () => undefined })
    expect(without.extraCount).toBe(0)
    expect(without.count).toBe(nodeRootCount)
    expect(without.warnings).toEqual(['system store: this Node cannot read it'])
  })

  it('feature-detects tls.getCACertificates (absent in Node 20, present in Electron’s Node)', async () => {
    const tls = await import('node:tls')
    const has = typeof (tls as { getCACertificates?: unknown }).getCACertificates === 'function'
    const bundle = await collectCaBundle({ platform: 'win32', env: {} })
    expect(bundle.count).toBeGreaterThanOrEqual(nodeRootCount)
    expect(bundle.warnings.length).toBe(has ? 0 : 1)
  })
})

describe('writeCaBundle', () => {
  it('writes atomically, 0644 whatever the umask, replacing an older bundle, leaving no temporary file', async () => {
    const dir = await tempDir()
    const path = join(dir, 'net', 'ca-bundle.pem')
    const old = process.umask(0o077)
    try {
      await writeCaBundle(path, certs.a)
      await writeCaBundle(path, certs.b)
    } finally {
      process.umask(old)
    }
    expect(await readFile(path, 'utf8')).toBe(certs.b)
    expect((await stat(path)).mode & 0o777).toBe(0o644)
    expect(await readdir(join(dir, 'net'))).toEqual(['ca-bundle.pem'])
  })
})

describe('caBundleHash', () => {
  it('is 12 hex, stable, and changes with the content', () => {
    expect(caBundleHash(certs.a)).toMatch(/^[0-9a-f]{12}$/)
    expect(caBundleHash(certs.a)).toBe(caBundleHash(certs.a))
    expect(caBundleHash(certs.a)).not.toBe(caBundleHash(certs.b))
  })
})
