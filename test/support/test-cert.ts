import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'

export interface TestServerCert {
  key: Buffer
  /** The certificate; a client trusts the server with it as its `ca`. */
  cert: Buffer
  keyFile: string
  certFile: string
}

/**
 * A self-signed TLS server certificate for `host` (an IP address or a DNS name, in its CN and its
 * subjectAltName), valid for a day, made with openssl in `dir` as `key.pem` and `cert.pem`.
 * (`makeTestCa` makes a CA without a subjectAltName: a client checking a server's name refuses it.)
 */
export function makeTestServerCert(dir: string, host: string): TestServerCert {
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=${isIP(host) ? 'IP' : 'DNS'}:${host}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  )
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile }
}
