import { access, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { importGitUrl, validateBranch, validateGitUrl } from '../../../src/main/sources/git-url'
import { tempDir } from '../../support/tmp'

const strict = { allowLocalHttp: false }
const local = { allowLocalHttp: true }

const kindOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (e) {
    return e instanceof AppError ? e.kind : 'not-an-AppError'
  }
}

describe('validateGitUrl', () => {
  it.each([
    ['https://github.com/owner/repo', 'https://github.com/owner/repo'],
    ['https://github.com/owner/repo.git', 'https://github.com/owner/repo.git'],
    ['https://GitHub.com:8443/owner/repo.git', 'https://github.com:8443/owner/repo.git'],
    [
      'https://user@gitlab.example.org/group/sub/repo.git',
      'https://user@gitlab.example.org/group/sub/repo.git',
    ],
    ['ssh://git@github.com/owner/repo.git', 'ssh://git@github.com/owner/repo.git'],
    ['ssh://git@github.com:2222/owner/repo.git', 'ssh://git@github.com:2222/owner/repo.git'],
    ['ssh://host.example/srv/repo', 'ssh://host.example/srv/repo'],
    ['git@github.com:owner/repo.git', 'git@github.com:owner/repo.git'],
    ['git@github.com:owner/repo', 'git@github.com:owner/repo'],
    ['deploy@Git.Example.com:~team/repo.git', 'deploy@git.example.com:~team/repo.git'],
  ])('accepts %s', (url, normalized) => {
    expect(validateGitUrl(url, strict)).toBe(normalized)
  })

  it.each(['http://127.0.0.1:8080/repo.git', 'http://localhost/repo.git', 'http://localhost:3000/a/b.git'])(
    'accepts %s only when local http is allowed',
    (url) => {
      expect(validateGitUrl(url, local)).toBe(url)
      expect(kindOf(() => validateGitUrl(url, strict))).toBe('unsafe_url')
    },
  )

  it.each([
    ['ext::sh -c touch% /tmp/pwned', 'remote helper ext::'],
    ['ext::sh', 'ext:: without arguments'],
    ['fd::17', 'fd::'],
    ['foo::https://github.com/o/r', 'any other transport'],
    ['file:///etc', 'file://'],
    ['FILE:///etc/passwd', 'file:// in capitals'],
    ['/home/user/repo', 'absolute local path'],
    ['./repo', 'relative local path'],
    ['../repo', 'parent path'],
    ['~/repo', 'home path'],
    ['C:\\repos\\x', 'windows path'],
    ['repo', 'bare word'],
    ['--upload-pack=touch /tmp/pwned', 'option injection'],
    ['-u touch', 'short option injection'],
    ['https://github.com/o/r\n--upload-pack=x', 'newline'],
    ['https://github.com/o/r\u0000', 'NUL'],
    ['https://github.com/o/r\u001b[31m', 'escape character'],
    ['https://github.com/o/ r', 'space'],
    ['https://github.com/o/r\t', 'tab'],
    ['https://github.com/o/r\u00a0', 'no-break space'],
    ['https://github.com/o/r\u2028', 'line separator'],
    [' https://github.com/o/r', 'leading space'],
    ['https://user:password@github.com/o/r', 'password in URL'],
    ['https://x-access-token:ghp_abc@github.com/o/r', 'token as password'],
    ['https://ghp_abcdef@github.com/o/r', 'token as user name'],
    ['http://github.com/o/r', 'plain http to a remote host'],
    ['http://127.0.0.1.nip.io/r.git', 'http to a look-alike host'],
    ['git://github.com/o/r', 'git:// protocol'],
    ['ftp://example.com/r', 'ftp'],
    ['https://', 'no host'],
    ['https://github.com', 'no path'],
    ['https://github.com/', 'root path'],
    ['https://github.com/o/r?x=1', 'query'],
    ['https://github.com/o/r#frag', 'fragment'],
    ['ssh://-oProxyCommand=touch%20pwned/x', 'ssh host option injection'],
    ['ssh://-oProxyCommand=x@host/x', 'ssh user option injection'],
    ['git@-oProxyCommand=x:repo', 'scp host option injection'],
    ['-oProxyCommand=x@host:repo', 'scp user option injection'],
    ['git@host:-repo', 'scp path option'],
    ['git@host:../../etc', 'scp path traversal'],
    ['', 'empty'],
  ])('refuses %j (%s)', (url) => {
    expect(kindOf(() => validateGitUrl(url, local))).toBe('unsafe_url')
  })

  it('tells the user to use the token setting for credentials in a URL', () => {
    try {
      validateGitUrl('https://me:secret@github.com/o/r', strict)
      expect.unreachable()
    } catch (e) {
      expect((e as AppError).hint).toMatch(/token/)
      expect((e as AppError).message).not.toContain('secret')
    }
  })
})

describe('validateBranch', () => {
  it.each(['main', 'feature/x', 'release-1.2', 'v1.0', 'a_b', 'dependabot/npm_and_yarn/x-1.2.3'])(
    'accepts %s',
    (b) => {
      expect(validateBranch(b)).toBe(b)
    },
  )

  it.each([
    '',
    '-b',
    '--upload-pack=x',
    'a..b',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    'a@{1}',
    '@',
    '/a',
    'a/',
    'a//b',
    '.hidden',
    'a/.b',
    'a.lock',
    'a/b.lock/c',
    'a.',
    'a\u0001',
    'x'.repeat(256),
  ])('refuses %j', (b) => {
    expect(kindOf(() => validateBranch(b))).toBe('invalid_input')
  })
})

describe('importGitUrl refusals', () => {
  const exists = (p: string): Promise<boolean> =>
    access(p).then(
      () => true,
      () => false,
    )

  it.each(['ext::sh -c touch% $DEST/pwned', 'file:///etc', '--upload-pack=touch /tmp/x', '/tmp', 'fd::3'])(
    'refuses %j before git runs and writes nothing',
    async (url) => {
      const root = await tempDir()
      const dest = join(root, 'dest')
      const err = await importGitUrl({ url, dest, allowLocalHttp: true }).catch((e: unknown) => e)
      expect((err as AppError).kind).toBe('unsafe_url')
      expect(await exists(dest)).toBe(false)
      expect(await readdir(root)).toEqual([])
    },
  )

  it('refuses a bad branch and a non-empty destination without touching them', async () => {
    const root = await tempDir()
    const dest = join(root, 'dest')
    const bad = await importGitUrl({
      url: 'https://github.com/o/r',
      branch: '--orphan',
      dest,
      allowLocalHttp: false,
    }).catch((e: unknown) => e)
    expect((bad as AppError).kind).toBe('invalid_input')
    expect(await exists(dest)).toBe(false)

    await mkdir(join(dest, 'keep'), { recursive: true })
    const busy = await importGitUrl({ url: 'https://github.com/o/r', dest, allowLocalHttp: false }).catch(
      (e: unknown) => e,
    )
    expect((busy as AppError).kind).toBe('conflict')
    expect(await readdir(dest)).toEqual(['keep'])
  })

  it('does nothing when already cancelled', async () => {
    const root = await tempDir()
    const controller = new AbortController()
    controller.abort()
    const err = await importGitUrl({
      url: 'https://github.com/o/r',
      dest: join(root, 'd'),
      allowLocalHttp: false,
      signal: controller.signal,
    }).catch((e: unknown) => e)
    expect((err as AppError).kind).toBe('cancelled')
    expect(await readdir(root)).toEqual([])
  })
})
