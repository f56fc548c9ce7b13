import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeTestCa } from './test-ca'

/**
 * The secrets of the test's second engine, made by the test: a CA, dockerd's server certificate (its
 * subjectAltName the container's IP) and a client certificate, laid out as DOCKER_CERT_PATH wants them
 * (ca.pem, cert.pem, key.pem); an ed25519 key for SSH and sshd's own host key, with a known_hosts line.
 */
export interface RemoteEngineKeys {
  /** DOCKER_CERT_PATH for a client: ca.pem, cert.pem, key.pem. */
  certDir: string
  /** The files the engine serves with: ca.pem, server-cert.pem, server-key.pem. */
  serverFiles: Record<string, Buffer>
  /** The client's SSH private key (ed25519, no passphrase). */
  sshKeyPath: string
  /** The client's public key, for the engine's authorized_keys. */
  sshPublicKey: string
  /** sshd's host key pair (private file, public line). */
  hostKeyPath: string
  hostPublicKey: string
  /** A known_hosts file naming the engine's IP with its host key. */
  knownHostsPath: string
}

const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' })

/** A key and a certificate signed by the CA in `dir`, with the given extensions (an openssl extfile). */
function signedCert(dir: string, name: string, subject: string, extensions: string): void {
  const key = join(dir, `${name}-key.pem`)
  const csr = join(dir, `${name}.csr`)
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, `${extensions}\n`)
  openssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      subject,
    ]),
  )
  openssl(
    ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key')].concat([
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      join(dir, `${name}-cert.pem`),
    ]),
  )
}

function sshKey(path: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], {
    stdio: 'ignore',
  })
}

export async function makeRemoteEngineKeys(dir: string, ip: string): Promise<RemoteEngineKeys> {
  const pki = join(dir, 'pki')
  const certDir = join(dir, 'client-certs')
  await mkdir(pki, { recursive: true })
  await mkdir(certDir, { recursive: true })
  makeTestCa(pki, 'ca')
  signedCert(pki, 'server', `/CN=${ip}`, `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth`)
  signedCert(pki, 'client', '/CN=codex-sys-test-client', 'extendedKeyUsage=clientAuth')
  const ca = await readFile(join(pki, 'ca.crt'))
  await writeFile(join(certDir, 'ca.pem'), ca)
  await writeFile(join(certDir, 'cert.pem'), await readFile(join(pki, 'client-cert.pem')))
  await writeFile(join(certDir, 'key.pem'), await readFile(join(pki, 'client-key.pem')), { mode: 0o600 })
  const sshKeyPath = join(dir, 'id_ed25519')
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key')
  sshKey(sshKeyPath, 'codex-sys-test-client')
  sshKey(hostKeyPath, 'codex-sys-test-dind')
  const hostPublicKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim()
  const knownHostsPath = join(dir, 'known_hosts')
  await writeFile(knownHostsPath, `${ip} ${hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`)
  return {
    certDir,
    serverFiles: {
      'ca.pem': ca,
      'server-cert.pem': await readFile(join(pki, 'server-cert.pem')),
      'server-key.pem': await readFile(join(pki, 'server-key.pem')),
    },
    sshKeyPath,
    sshPublicKey: (await readFile(`${sshKeyPath}.pub`, 'utf8')).trim(),
    hostKeyPath,
    hostPublicKey,
    knownHostsPath,
  }
}
