import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src/main/errors'
import { createBaseline } from '../../src/main/git/baseline'
import { computeDiff } from '../../src/main/git/diff'
import { runGit } from '../../src/main/git/git'
import { pushBranch, type PushBranchOptions } from '../../src/main/git/push'
import { buildResultTree } from '../../src/main/git/result-tree'
import { importGitUrl } from '../../src/main/sources/git-url'
import { appErrorOf, writeFiles } from '../support/files'
import { snapshot } from '../support/git-fixture'
import { startGitServer, type GitServer } from '../support/git-server'
import { grepTree } from '../support/grep-tree'
import { tempDir } from '../support/tmp'

const TOKEN = 'ghp_pushIntegrationToken_0123456789abcdef'
const TOKEN_FORMS = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')]
const author = { name: 'Ada Lovelace', email: 'ada@example.com' }

interface Task {
  root: string
  ws: string
  gitDir: string
  upstream: string
  start: string
  tree: string
  baseline: string
}

describe('pushBranch against a real git server with a token', () => {
  let server: GitServer
  let url: string
  const errors: AppError[] = []

  beforeAll(async () => {
    server = await startGitServer({ token: TOKEN })
    url = await server.createRepo('proj', { 'README.md': '# proj\n', 'src/a.ts': 'export const a = 1\n' })
    await server.createRepo('proj', { 'CHANGELOG.md': 'v2\n' })
    await server.createRepo('proj', { 'x.txt': 'someone else\n' }, { branch: 'taken' })
  })
  afterAll(async () => {
    await server?.close()
  })

  /** A task as the engine leaves it: a shallow clone, its .git moved out, a baseline, a change. */
  async function task(): Promise<Task> {
    const root = await tempDir('codex-push-task-')
    const ws = join(root, 'workspace')
    const upstream = join(root, 'upstream.git')
    const gitDir = join(root, 'git')
    const { commit } = await importGitUrl({
      url,
      dest: ws,
      token: TOKEN,
      allowLocalHttp: true,
      keepGitDir: true,
    })
    await rename(join(ws, '.git'), upstream)
    const baseline = await createBaseline({ workspace: ws, gitDir })
    await writeFile(join(ws, 'src/a.ts'), 'export const a = 2\n')
    await writeFiles(ws, { 'src/b.ts': 'export const b = 3\n' })
    const { tree } = await buildResultTree({ gitDir, workspace: ws, baseline, excluded: [] })
    return { root, ws, gitDir, upstream, start: commit, tree, baseline }
  }

  const options = (t: Task, branch: string, extra: Partial<PushBranchOptions> = {}): PushBranchOptions => ({
    upstreamDir: t.upstream,
    gitDir: t.gitDir,
    tree: t.tree,
    parent: t.start,
    message: 'Bump a, add b\n\nDone by the agent.\n',
    author,
    remoteUrl: url,
    token: TOKEN,
    branch,
    ...extra,
  })

  const pushes = (): number =>
    server.requests.filter((r) => r.method === 'POST' && r.url.includes('git-receive-pack')).length

  async function failure(promise: Promise<unknown>): Promise<AppError> {
    const err = await appErrorOf(promise)
    errors.push(err)
    return err
  }

  it('pushes a commit of the tree on the starting commit to a new branch', async () => {
    const t = await task()
    const out = await pushBranch(options(t, 'ai-changes-20250101-120000'))
    expect(out).toMatchObject({ branch: 'ai-changes-20250101-120000', pushed: true })
    expect(await server.branchTip('proj', out.branch)).toBe(out.commit)

    const bare = { gitDir: join(server.root, 'proj.git') }
    const show = async (args: string[]): Promise<string> => (await runGit(args, bare)).stdout
    expect((await show(['show', '-s', '--format=%T %P|%an <%ae>|%cn|%B', out.commit])).trim()).toBe(
      `${t.tree} ${t.start}|Ada Lovelace <ada@example.com>|Ada Lovelace|Bump a, add b\n\nDone by the agent.`,
    )
    expect(await show(['show', `${out.commit}:src/b.ts`])).toBe('export const b = 3\n')
    expect((await show(['fsck', '--no-progress'])).trim()).toBe('')
  })

  it('adds a suffix when the branch name is taken on the remote', async () => {
    const t = await task()
    const first = await pushBranch(options(t, 'taken'))
    expect(first.branch).toBe('taken-2')
    const second = await pushBranch(options(t, 'taken', { message: 'Another change\n' }))
    expect(second).toMatchObject({ branch: 'taken-3', pushed: true })
    expect(await server.branchTip('proj', 'taken-2')).toBe(first.commit)
  })

  it('does not push again on a retry whose branch already holds the commit', async () => {
    const t = await task()
    const first = await pushBranch(options(t, 'retry-me'))
    const count = pushes()
    const again = await pushBranch(
      options(t, 'retry-me', { reuse: { branch: first.branch, commit: first.commit } }),
    )
    expect(again).toEqual({ branch: 'retry-me', commit: first.commit, pushed: false })
    expect(pushes()).toBe(count)
  })

  it('pushes the same commit again when the earlier push never arrived', async () => {
    const t = await task()
    const first = await pushBranch(options(t, 'lost'))
    await runGit(['update-ref', '-d', 'refs/heads/lost'], { gitDir: join(server.root, 'proj.git') })
    const again = await pushBranch(options(t, 'lost', { reuse: { branch: 'lost', commit: first.commit } }))
    expect(again).toEqual({ branch: 'lost', commit: first.commit, pushed: true })
  })

  it('ends a rejected push with the reason from the remote, leaving the workspace and diff as they were', async () => {
    const t = await task()
    const wsBefore = await snapshot(t.ws)
    const diffBefore = await computeDiff({ workspace: t.ws, gitDir: t.gitDir, baseline: t.baseline })

    await server.rejectPushes({
      branches: '^protected',
      message:
        'error: GH006: Protected branch update failed for refs/heads/protected.\nerror: Changes must be made through a pull request.',
    })
    const prot = await failure(pushBranch(options(t, 'protected')))
    expect(prot.kind).toBe('git_failed')
    expect(prot.message).toMatch(/protected/i)
    expect(String(prot.details?.remoteMessage)).toContain('GH006')

    await server.rejectPushes({
      branches: '.',
      message:
        'refusing to allow a Personal Access Token to create or update workflow `.github/workflows/ci.yml` without `workflow` scope',
    })
    const wf = await failure(pushBranch(options(t, 'workflows')))
    expect(wf.kind).toBe('auth_failed')
    expect(wf.hint).toMatch(/workflow/)

    await server.rejectPushes({ branches: '.', message: 'policy: commits must reference a ticket' })
    const other = await failure(pushBranch(options(t, 'policy')))
    expect(other.kind).toBe('git_failed')
    expect(other.message).toContain('commits must reference a ticket')
    await server.rejectPushes(null)

    expect(await server.branchTip('proj', 'protected')).toBeNull()
    expect(await snapshot(t.ws)).toEqual(wsBefore)
    expect(await computeDiff({ workspace: t.ws, gitDir: t.gitDir, baseline: t.baseline })).toEqual(diffBefore)
  })

  it('says the token was refused (auth_failed) without repeating it', async () => {
    const t = await task()
    const wrong = 'ghp_wrongToken_abcdef0123456789'
    const err = await failure(pushBranch(options(t, 'nope', { token: wrong })))
    expect(err.kind).toBe('auth_failed')
    expect(JSON.stringify({ ...err.toData(), cause: String(err.cause) })).not.toContain(wrong)
    const none = await failure(pushBranch(options(t, 'nope', { token: undefined })))
    expect(none.kind).toBe('auth_failed')
  })

  it('says when the server cannot be reached', async () => {
    const t = await task()
    const gone = await startGitServer({ token: TOKEN })
    const goneUrl = `${gone.baseUrl}/proj.git`
    await gone.close()
    const err = await failure(pushBranch(options(t, 'offline', { remoteUrl: goneUrl })))
    expect(err.kind).toBe('git_failed')
    expect(err.message).toMatch(/Could not reach/)
  })

  it('leaves the token nowhere: task directories, configs, error messages', async () => {
    const t = await task()
    await pushBranch(options(t, 'grep-me'))
    await server.rejectPushes({ branches: '.', message: 'rejected for the grep' })
    await failure(pushBranch(options(t, 'grep-me-too')))
    await server.rejectPushes(null)
    for (const form of TOKEN_FORMS) {
      expect(await grepTree(t.root, form)).toEqual([])
      for (const err of errors) {
        const text = JSON.stringify({ ...err.toData(), stack: err.stack, cause: String(err.cause) })
        expect(text).not.toContain(form)
      }
    }
    const config = await readFile(join(t.upstream, 'config'), 'utf8')
    expect(config).not.toMatch(/extraheader|authorization/i)
  })
})
