import { access, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBaseline } from '../../src/main/git/baseline'
import { runGit } from '../../src/main/git/git'
import { pushBranch } from '../../src/main/git/push'
import { buildResultTree } from '../../src/main/git/result-tree'
import { importGitUrl } from '../../src/main/sources/git-url'
import { startGitServer, type GitServer } from '../support/git-server'
import { grepTree } from '../support/grep-tree'
import { appErrorOf } from '../support/files'
import { tempDir } from '../support/tmp'

const TOKEN = 'ghp_integrationToken_0123456789abcdef'
const tokenForms = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')]

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  )

describe('importGitUrl against a real git server', () => {
  let open: GitServer
  let locked: GitServer
  let openUrl: string
  let lockedUrl: string

  beforeAll(async () => {
    open = await startGitServer()
    locked = await startGitServer({ token: TOKEN })
    openUrl = await open.createRepo('public', { 'README.md': '# public\n', 'src/index.ts': 'export {}\n' })
    await open.createRepo('public', { 'CHANGELOG.md': 'v2\n' })
    await open.createRepo('public', { 'feature.txt': 'on a branch\n' }, { branch: 'feature/x' })
    lockedUrl = await locked.createRepo('private', { 'secret-project.txt': 'hello\n' })
  })
  afterAll(async () => {
    await open?.close()
    await locked?.close()
  })

  it('clones a public repository shallowly, reports progress and leaves no .git behind', async () => {
    const dest = join(await tempDir(), 'ws')
    const progress: { stage: string; progress: number }[] = []
    const result = await importGitUrl({
      url: openUrl,
      dest,
      allowLocalHttp: true,
      onProgress: (p) => progress.push(p),
    })
    const head = await runGit(['rev-parse', 'refs/heads/main'], { gitDir: join(open.root, 'public.git') })
    expect(result).toEqual({ commit: head.stdout.trim(), branch: 'main', linksAsFiles: [], warnings: [] })
    expect((await readdir(dest)).sort()).toEqual(['CHANGELOG.md', 'README.md', 'src'])
    expect(await readFile(join(dest, 'src', 'index.ts'), 'utf8')).toBe('export {}\n')
    expect(await exists(join(dest, '.git'))).toBe(false)
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((p) => p.progress >= 0 && p.progress <= 100)).toBe(true)
  })

  it('is shallow by default and full with depth 0', async () => {
    const shallow = join(await tempDir(), 'ws')
    await importGitUrl({ url: openUrl, dest: shallow, allowLocalHttp: true, keepGitDir: true })
    expect((await runGit(['rev-list', '--count', 'HEAD'], { cwd: shallow })).stdout.trim()).toBe('1')
    expect(await exists(join(shallow, '.git', 'shallow'))).toBe(true)
    const full = join(await tempDir(), 'ws')
    await importGitUrl({ url: openUrl, dest: full, allowLocalHttp: true, depth: 0, keepGitDir: true })
    expect((await runGit(['rev-list', '--count', 'HEAD'], { cwd: full })).stdout.trim()).toBe('2')
  })

  it('clones a named branch', async () => {
    const dest = join(await tempDir(), 'ws')
    const result = await importGitUrl({ url: openUrl, branch: 'feature/x', dest, allowLocalHttp: true })
    expect(result.branch).toBe('feature/x')
    expect(await readFile(join(dest, 'feature.txt'), 'utf8')).toBe('on a branch\n')
  })

  it('says clearly when the branch does not exist, and cleans up', async () => {
    const root = await tempDir()
    const dest = join(root, 'ws')
    const err = await appErrorOf(importGitUrl({ url: openUrl, branch: 'nope', dest, allowLocalHttp: true }))
    expect(err.kind).toBe('git_failed')
    expect(err.message).toContain('Branch "nope" was not found')
    expect(await readdir(root)).toEqual([])
  })

  it('says clearly when the repository does not exist', async () => {
    const dest = join(await tempDir(), 'ws')
    const err = await appErrorOf(
      importGitUrl({ url: `${open.baseUrl}/missing.git`, dest, allowLocalHttp: true }),
    )
    expect(err.kind).toBe('git_failed')
    expect(err.message).toMatch(/was not found/)
  })

  it('sends the token only as a header and leaves it nowhere', async () => {
    const root = await tempDir()
    const dest = join(root, 'ws')
    const messages: string[] = []
    const before = locked.requests.length
    const result = await importGitUrl({
      url: lockedUrl,
      token: TOKEN,
      dest,
      allowLocalHttp: true,
      keepGitDir: true,
      onProgress: (p) => messages.push(JSON.stringify(p)),
    })
    expect(result.branch).toBe('main')
    expect(await readFile(join(dest, 'secret-project.txt'), 'utf8')).toBe('hello\n')
    const seen = locked.requests.slice(before)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((r) => r.authorized)).toBe(true)
    expect(seen.every((r) => !r.url.includes(TOKEN))).toBe(true)
    const config = await readFile(join(dest, '.git', 'config'), 'utf8')
    expect(config).not.toMatch(/extraheader/i)
    expect(config).toContain(`url = ${lockedUrl}`)
    for (const form of tokenForms) {
      expect(await grepTree(root, form)).toEqual([])
      expect(messages.join('\n')).not.toContain(form)
    }
  })

  it('fails with auth_failed for a wrong or missing token, without leaking it', async () => {
    const root = await tempDir()
    const wrong = 'ghp_wrongToken_aaaaaaaaaaaaaaaaaaaa'
    const err = await appErrorOf(
      importGitUrl({ url: lockedUrl, token: wrong, dest: join(root, 'a'), allowLocalHttp: true }),
    )
    expect(err.kind).toBe('auth_failed')
    expect(err.hint).toMatch(/token/)
    expect(JSON.stringify(err.toData())).not.toContain(wrong)
    expect(JSON.stringify(err.toData())).not.toContain(
      Buffer.from(`x-access-token:${wrong}`).toString('base64'),
    )

    const none = await appErrorOf(
      importGitUrl({ url: lockedUrl, dest: join(root, 'b'), allowLocalHttp: true }),
    )
    expect(none.kind).toBe('auth_failed')
    expect(none.hint).toMatch(/token/)
    expect(await readdir(root)).toEqual([])
  })

  it('refuses hostile URLs before any request and writes nothing', async () => {
    const root = await tempDir()
    const dest = join(root, 'ws')
    const before = open.requests.length
    const hostile = [
      `ext::sh -c touch% ${join(root, 'pwned')}`,
      `file://${join(open.root, 'public.git')}`,
      join(open.root, 'public.git'),
      `--upload-pack=touch ${join(root, 'pwned')}`,
      `fd::0`,
      `${openUrl}\n--upload-pack=x`,
      `http://u:p@127.0.0.1:1/x.git`,
    ]
    for (const url of hostile) {
      const err = await appErrorOf(importGitUrl({ url, dest, allowLocalHttp: true }))
      expect(err.kind).toBe('unsafe_url')
    }
    // Plain http to 127.0.0.1 needs the setting.
    const err = await appErrorOf(importGitUrl({ url: openUrl, dest, allowLocalHttp: false }))
    expect(err.kind).toBe('unsafe_url')
    expect(open.requests.length).toBe(before)
    expect(await readdir(root)).toEqual([])
  })

  it('ignores the user global git config', async () => {
    const home = await tempDir()
    await writeFile(join(home, '.gitconfig'), `[url "http://127.0.0.1:9/"]\n\tinsteadOf = ${open.baseUrl}/\n`)
    const saved = process.env.HOME
    process.env.HOME = home
    try {
      const dest = join(await tempDir(), 'ws')
      await importGitUrl({ url: openUrl, dest, allowLocalHttp: true })
      expect(await exists(join(dest, 'README.md'))).toBe(true)
    } finally {
      process.env.HOME = saved
    }
  })

  it('takes a push through the publish path (pushBranch and its own token header); none without the token', async () => {
    const root = await tempDir()
    const ws = join(root, 'ws')
    const upstream = join(root, 'upstream.git')
    const gitDir = join(root, 'git')
    const { commit } = await importGitUrl({
      url: lockedUrl,
      token: TOKEN,
      dest: ws,
      allowLocalHttp: true,
      keepGitDir: true,
    })
    // As the engine leaves a git task: the clone's .git moved out, a baseline, the agent's change.
    await rename(join(ws, '.git'), upstream)
    const baseline = await createBaseline({ workspace: ws, gitDir })
    await writeFile(join(ws, 'pushed.txt'), 'pushed\n')
    const { tree } = await buildResultTree({ gitDir, workspace: ws, baseline, excluded: [] })
    const push = (branch: string, token?: string) =>
      pushBranch({
        upstreamDir: upstream,
        gitDir,
        tree,
        parent: commit,
        message: 'push me\n',
        author: { name: 'Ada Lovelace', email: 'ada@example.com' },
        remoteUrl: lockedUrl,
        token,
        branch,
      })

    expect(await push('ai-changes', TOKEN)).toMatchObject({ branch: 'ai-changes', pushed: true })
    const pushed = await runGit(['show', 'refs/heads/ai-changes:pushed.txt'], {
      gitDir: join(locked.root, 'private.git'),
    })
    expect(pushed.stdout).toBe('pushed\n')
    const sent = locked.requests.filter((r) => r.url.includes('git-receive-pack'))
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every((r) => r.authorized)).toBe(true)

    const denied = await appErrorOf(push('other'))
    expect(denied.kind).toBe('auth_failed')
    expect(await locked.branchTip('private', 'other')).toBeNull()
    for (const form of tokenForms) expect(await grepTree(root, form)).toEqual([])
  })

  it('cancels a running clone: git is stopped and the destination cleaned', async () => {
    const slow = await startGitServer({ delayMs: 1500 })
    try {
      const url = await slow.createRepo('slow', { 'a.txt': 'a\n' })
      const root = await tempDir()
      const dest = join(root, 'ws')
      await mkdir(dest)
      const controller = new AbortController()
      const started = Date.now()
      setTimeout(() => controller.abort(), 200)
      const err = await appErrorOf(
        importGitUrl({ url, dest, allowLocalHttp: true, signal: controller.signal }),
      )
      expect(err.kind).toBe('cancelled')
      expect(Date.now() - started).toBeLessThan(1400)
      expect(await readdir(dest)).toEqual([])
      // Nothing git left running writes into it once the server answers.
      await new Promise((resolve) => setTimeout(resolve, 2000))
      expect(await readdir(dest)).toEqual([])
    } finally {
      await slow.close()
    }
  })
})
