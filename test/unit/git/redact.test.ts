import { describe, expect, it } from 'vitest'
import { basicAuthHeader, redactSecrets, REDACTED, secretVariants } from '../../../src/main/git/redact'

const TOKEN = 'ghp_AbC123+/=secret'

describe('redactSecrets', () => {
  it('removes the token in raw, URL-encoded and base64 header forms', () => {
    const b64 = Buffer.from(`x-access-token:${TOKEN}`).toString('base64')
    const text = [
      `token ${TOKEN} here`,
      `url https://x.test/?t=${encodeURIComponent(TOKEN)}`,
      `header value ${b64}`,
      `bare ${Buffer.from(TOKEN).toString('base64')}`,
    ].join('\n')
    const out = redactSecrets(text, [TOKEN])
    for (const form of secretVariants(TOKEN)) expect(out).not.toContain(form)
    expect(out.split(REDACTED).length - 1).toBeGreaterThanOrEqual(4)
  })

  it('removes Authorization header values even without knowing the secret', () => {
    const out = redactSecrets(`> ${basicAuthHeader('unknown-token-value')}\n> authorization: Bearer abc.def`)
    expect(out).toBe(`> Authorization: Basic ${REDACTED}\n> authorization: Bearer ${REDACTED}`)
  })

  it('removes passwords from URLs but keeps plain user names', () => {
    expect(redactSecrets('fatal: https://me:pa55w0rd@github.com/o/r.git')).toBe(
      `fatal: https://${REDACTED}@github.com/o/r.git`,
    )
    expect(redactSecrets('ssh://git@github.com/o/r.git')).toBe('ssh://git@github.com/o/r.git')
  })

  it('leaves text alone when there is nothing secret, and ignores empty or tiny secrets', () => {
    expect(redactSecrets('Cloning into dest...', ['', undefined, 'ab'])).toBe('Cloning into dest...')
  })

  it('builds a GitHub style Basic header', () => {
    const header = basicAuthHeader('tok123')
    expect(header).toBe(`Authorization: Basic ${Buffer.from('x-access-token:tok123').toString('base64')}`)
    expect(redactSecrets(header, ['tok123'])).not.toContain(
      Buffer.from('x-access-token:tok123').toString('base64'),
    )
  })
})
