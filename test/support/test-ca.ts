import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

/** A self-signed CA made with openssl in `dir` (its files `<name>.key`, `<name>.crt`): its PEM and DER. */
export function makeTestCa(
  dir: string,
  name: string,
): { pem: string; der: Buffer; key: string; crt: string } {
  const key = join(dir, `${name}.key`)
  const crt = join(dir, `${name}.crt`)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  const der = execFileSync('openssl', ['x509', '-in', crt, '-outform', 'DER'])
  return { pem: execFileSync('openssl', ['x509', '-in', crt]).toString(), der, key, crt }
}
