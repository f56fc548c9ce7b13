import { describe, expect, it } from 'vitest'
import { pushError, remoteLines } from '../../../src/main/git/push-errors'

const ctx = { remote: 'https://github.com/o/r.git', branch: 'ai-changes-1', hasToken: true }
const declined = '[remote rejected] (pre-receive hook declined)'

describe('pushError', () => {
  it('names a protected branch (GH006)', () => {
    const err = pushError(
      'remote: error: GH006: Protected branch update failed for refs/heads/x.\n',
      declined,
      ctx,
    )
    expect(err.kind).toBe('git_failed')
    expect(err.message).toMatch(/protected/)
    expect(err.details?.remoteMessage).toContain('GH006')
  })

  it('names the missing workflow scope', () => {
    const stderr =
      'remote: refusing to allow an OAuth App to create or update workflow `.github/workflows/a.yml` without `workflow` scope\n'
    const err = pushError(stderr, '[remote rejected] (refusing to allow an OAuth App …)', ctx)
    expect(err.kind).toBe('auth_failed')
    expect(err.hint).toMatch(/`workflow` scope/)
  })

  it('says to wait on a rate limit', () => {
    const err = pushError('fatal: unable to access: The requested URL returned error: 429\n', '', ctx)
    expect(err.hint).toMatch(/Wait/)
    expect(pushError('remote: API rate limit exceeded for user\n', declined, ctx).message).toMatch(
      /rate limit/,
    )
  })

  it('maps 401 and 403 to auth_failed', () => {
    expect(pushError('fatal: Authentication failed for https://github.com/o/r.git/\n', '', ctx).kind).toBe(
      'auth_failed',
    )
    const denied = pushError('remote: Permission to o/r.git denied to bot.\nfatal: … error: 403\n', '', ctx)
    expect(denied.kind).toBe('auth_failed')
    expect(denied.hint).toMatch(/fork/)
  })

  it('says when the server cannot be reached', () => {
    const err = pushError('fatal: unable to access: Failed to connect to github.com port 443\n', '', ctx)
    expect(err.kind).toBe('git_failed')
    expect(err.message).toMatch(/Could not reach/)
  })

  it('passes any other remote reason on, without progress noise', () => {
    const stderr = 'remote: Resolving deltas: 100% (3/3)\nremote: \nremote: no pushes on Fridays\n'
    expect(remoteLines(stderr)).toEqual(['no pushes on Fridays'])
    expect(pushError(stderr, declined, ctx).message).toContain('no pushes on Fridays')
  })
})
