import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runGit } from '../../../src/main/git/git'
import {
  gitRefusal,
  isReservedDeviceName,
  unsafePathProblem,
  unsafePaths,
} from '../../../src/main/git/path-names'
import { visibleName } from '../../../src/shared/visible-name'

/**
 * [path, safe to write (a new file), git refuses it (protectNTFS + protectHFS), what the reason says].
 * The git column is checked against the real git below, so it is git's behaviour, not a guess.
 */
type Row = [path: string, safe: boolean, gitRefuses: boolean, reason?: RegExp]

const ALIAS = /another name for \.git/
const DEVICE = /reserved device name/
const TABLE: Row[] = [
  // .git itself and its NTFS aliases: trailing dots and spaces, the short name, streams.
  ['.git', false, true, ALIAS],
  ['.git/config', false, true, ALIAS],
  ['.GIT', false, true, ALIAS],
  ['.Git/hooks/pre-commit', false, true, ALIAS],
  ['sub/.git/hooks/pre-commit', false, true, ALIAS],
  ['.git./hooks/post-checkout', false, true, ALIAS],
  ['.git /x', false, true, ALIAS],
  ['.git. . ./x', false, true, ALIAS],
  ['GIT~1/hooks/pre-commit', false, true, ALIAS],
  ['git~1', false, true, ALIAS],
  ['Git~1./hooks/x', false, true, ALIAS],
  ['.git::$INDEX_ALLOCATION/hooks/pre-commit', false, true, ALIAS],
  ['.git:stream', false, true, ALIAS],
  ['x\\.git', false, true, ALIAS],
  ['dir\\git~1\\hooks', false, true, ALIAS],
  // HFS+: ignorable code points anywhere, any ASCII case.
  ['.g\u200cit/hooks/pre-push', false, true, ALIAS],
  ['\u200d.git/x', false, true, ALIAS],
  ['.git\u200e/x', false, true, ALIAS],
  ['.\u200fGIT/x', false, true, ALIAS],
  ['.gi\u202at/x', false, true, ALIAS],
  ['.g\u202ei\u202dt/x', false, true, ALIAS],
  ['.gi\u206at/x', false, true, ALIAS],
  ['.g\u206fit', false, true, ALIAS],
  ['.\ufeffgit/x', false, true, ALIAS],
  // Stricter than git: every short name, and .git after compatibility and full case folding.
  ['git~2/hooks/pre-commit', false, false, ALIAS],
  ['GIT~10', false, false, ALIAS],
  ['.ｇｉｔ/x', false, false, ALIAS],
  ['.gıt/x', false, false, ALIAS],
  // A symbolic link named .gitmodules (git refuses those), as the last component.
  // Windows device names, with extensions, trailing spaces or streams; superscript digits too.
  ['CON', false, false, DEVICE],
  ['con.txt', false, false, DEVICE],
  ['nul.tar.gz', false, false, DEVICE],
  ['src/aux.c', false, false, DEVICE],
  ['Prn', false, false, DEVICE],
  ['COM1', false, false, DEVICE],
  ['com9.log', false, false, DEVICE],
  ['LPT1', false, false, DEVICE],
  ['COM¹', false, false, DEVICE],
  ['lpt³.txt', false, false, DEVICE],
  ['CONIN$', false, false, DEVICE],
  ['conout$.x', false, false, DEVICE],
  ['con .txt', false, false, DEVICE],
  ['NUL ', false, false],
  // Colons, characters Windows does not allow, trailing dots and spaces.
  ['a:b', false, false, /":"/],
  ['file.txt::$DATA', false, false, /":"/],
  ['C:evil', false, false, /":"/],
  ['x.', false, false, /ends in a dot or a space/],
  ['dir /file', false, false, /ends in a dot or a space/],
  ['what?.txt', false, false, /Windows does not allow/],
  ['a<b>', false, false, /Windows does not allow/],
  ['pipe|name', false, false, /Windows does not allow/],
  ['star*', false, false, /Windows does not allow/],
  ['quote"d', false, false, /Windows does not allow/],
  ['tab\there', false, false, /Windows does not allow/],
  ['back\\slash', false, false, /backslash/],
  // Structure.
  ['', false, true, /empty/],
  ['/etc/passwd', false, true, /absolute/],
  ['../escape', false, true, /"\.\." segment/],
  ['a/./b', false, true, /"\." segment/],
  ['a//b', false, true, /empty segment/],
  ['a/', false, true, /empty segment/],
  // Fine everywhere.
  ['.github/workflows/ci.yml', true, false],
  ['.gitignore', true, false],
  ['.gitattributes', true, false],
  ['.gitmodules', true, false],
  ['.gitkeep', true, false],
  ['.git~1', true, false],
  ['.git.x', true, false],
  ['.gitx/y', true, false],
  ['git', true, false],
  ['gitk', true, false],
  ['git~', true, false],
  ['git~a', true, false],
  ['CONFIG', true, false],
  ['console.log', true, false],
  ['icon.png', true, false],
  ['COM10', true, false],
  ['LPT', true, false],
  ['auxiliary.c', true, false],
  ['nullable.ts', true, false],
  ['src/com1x/a', true, false],
  ['.hidden', true, false],
  ['..foo', true, false],
  ['foo..bar', true, false],
  [' leading-space', true, false],
  ['dir/sub dir/file name.txt', true, false],
  ['ünïcödé/файл.txt', true, false],
  ['a\u200cb', true, false],
]

describe('path names', () => {
  it('has a table of at least 40 names, bad and good', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40)
    expect(TABLE.filter((r) => r[1]).length).toBeGreaterThanOrEqual(15)
  })

  it.each(TABLE)('%j: safe to write %s', (path, safe, _git, reason) => {
    const problem = unsafePathProblem(path)
    if (safe) expect(problem).toBeUndefined()
    else expect(problem).toBeDefined()
    if (reason) expect(problem).toMatch(reason)
  })

  it.each(TABLE)('%j: git refuses it: %s (this module)', (path, _safe, refuses) => {
    expect(gitRefusal(path) !== undefined).toBe(refuses)
  })

  describe('against the real git (core.protectNTFS and core.protectHFS on)', () => {
    let gitDir = ''
    let blob = ''
    beforeAll(async () => {
      gitDir = join(await mkdtemp(join(tmpdir(), 'codex-names-')), 'git')
      await runGit(['init', '-q', '--bare', gitDir])
      blob = (await runGit(['hash-object', '-w', '--stdin'], { gitDir, input: 'x\n' })).stdout.trim()
    })
    afterAll(() => rm(join(gitDir, '..'), { recursive: true, force: true }))
    const accepts = async (path: string, mode = '100644'): Promise<boolean> => {
      const res = await runGit(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], {
        gitDir,
        env: { GIT_INDEX_FILE: join(gitDir, 'probe.index') },
        successExitCodes: [0, 1, 128],
      })
      return res.exitCode === 0
    }

    it.each(TABLE.filter(([p]) => p !== ''))('%j', async (path, _safe, refuses) => {
      expect(await accepts(path)).toBe(!refuses)
      expect(gitRefusal(path) === undefined).toBe(await accepts(path))
    })

    const LINKS = [
      '.gitmodules',
      '.GITMODULES',
      'sub/.gitmodules',
      '.gitmodules.',
      '.gitmodules :x',
      'gitmod~1',
      'GITMOD~4',
      'gitmod~5',
      'gi7eba~1',
      'GI7EBA~9',
      'gi7eba~10',
      'gi7eb~1',
      '.git\u200cmodules',
      '.gitmodule',
      '.gitmodulesx',
      'x\\.gitmodules',
      '.gitattributes',
      '.gitignore',
    ]
    it.each(LINKS)('a symbolic link named %j', async (path) => {
      expect(gitRefusal(path, { symlink: true }) === undefined).toBe(await accepts(path, '120000'))
      // A regular file of that name is always fine with git.
      expect(gitRefusal(path)).toBeUndefined()
    })
  })

  it('refuses a symbolic link named .gitmodules (any alias) to write, a file of that name is fine', () => {
    expect(unsafePathProblem('.gitmodules', { symlink: true })).toMatch(/\.gitmodules/)
    expect(unsafePathProblem('GITMOD~1', { symlink: true })).toBeDefined()
    expect(unsafePathProblem('.gitmodules')).toBeUndefined()
  })

  it('lets a name that came with the user’s code be changed, but never a .git alias', () => {
    for (const name of ['src/aux.c', 'CON', 'a:b', 'x.', 'what?.txt', 'back\\slash']) {
      expect(unsafePathProblem(name, { existing: true }), name).toBeUndefined()
    }
    for (const name of ['GIT~1/x', '.git./x', '.g\u200cit/x', 'git~2', 'x\\.git', '../x', '/abs']) {
      expect(unsafePathProblem(name, { existing: true }), name).toBeDefined()
    }
  })

  it('knows device names on their own', () => {
    expect(
      ['CON', 'aux.h', 'NuL', 'COM²', 'lpt0', 'CONIN$', 'prn .x', 'con:x'].map(isReservedDeviceName),
    ).toEqual(Array(8).fill(true))
    expect(['CONS', 'auxx', 'COM', 'LPT10', 'CONIN', 'nul_'].map(isReservedDeviceName)).toEqual(
      Array(6).fill(false),
    )
  })

  it('lists every offending path with its reason, marking those git refuses', () => {
    const found = unsafePaths([{ path: 'ok.txt' }, { path: 'GIT~1/x' }, { path: 'con.txt' }])
    expect(found.map((p) => p.path)).toEqual(['GIT~1/x', 'con.txt'])
    expect(found[0]?.gitRefuses).toBe(true)
    expect(found[1]?.gitRefuses).toBeUndefined()
  })

  it('shows invisible and direction-changing code points escaped in messages', () => {
    expect(visibleName('.g\u200cit')).toBe('.g\\u{200c}it')
    expect(visibleName('a\u202eb\u0007')).toBe('a\\u{202e}b\\u{7}')
    expect(unsafePathProblem('.g\u200cit/x')).toContain('\\u{200c}')
  })
})
