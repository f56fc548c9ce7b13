import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { CallName, CallOutputs } from '../../src/shared/contract'
import { createHandlers, invokeCall, type Handlers } from '../../src/main/engine/handlers'
import { codexPatch } from '../support/codex'
import { waitForStatus } from '../support/engine'
import { startGitServer } from '../support/git-server'
import { startGitHubDouble } from '../support/github-double'
import { grepTree } from '../support/grep-tree'
import { startModelServer } from '../support/model-server'
import { openTestServices } from '../support/services'
import { tempDir } from '../support/tmp'

const execFileAsync = promisify(execFile)
const TOKEN = 'ghp_codexSeedFlow_7a6b5c4d3e2f1a0b'

/** git against the in-process servers: asynchronous, or the servers could not answer. */
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await execFileAsync('git', args, { cwd, encoding: 'utf8' })).stdout.trim()

/** One call as the renderer makes it (validated by the contract's schema), unwrapped. */
async function call<N extends CallName>(
  handlers: Handlers,
  name: N,
  input: unknown,
): Promise<CallOutputs[N]> {
  const result = await invokeCall(handlers, name, input)
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.error)}`)
  return result.value
}

/**
 * Seed 003's flow end to end, through the calls the app makes: pick one of the user's GitHub
 * repositories (the OpenAPI-checked GitHub double, a real git server behind it), describe the change,
 * run it with the Codex runtime (the real Codex binary, driven by the scripted Responses server), review,
 * then publish: the branch `ai-changes-YYYYMMDD-HHMMSS` is pushed and the pull request opened.
 */
describe("seed 003's flow with the Codex runtime", () => {
  it('clones a GitHub repository, Codex edits it, and the review publishes ai-changes-… with a PR', async () => {
    const server = await startGitServer({ token: TOKEN })
    const github = await startGitHubDouble({ token: TOKEN, gitServer: server, login: 'mona' })
    await github.addRepo({
      owner: 'mona',
      name: 'shop',
      defaultBranch: 'main',
      files: {
        'src/login.js': 'export function login(user) {\n  return user.name\n}\n',
        'README.md': '# shop\n',
      },
    })
    const model = await startModelServer([
      codexPatch(
        '*** Update File: src/login.js\n@@\n export function login(user) {\n+  if (!user) throw new Error("no user")\n   return user.name',
      ),
      { text: 'Added error handling to login.' },
    ])
    const root = await tempDir()
    const dataDir = join(root, 'data')
    const services = await openTestServices({
      dataDir,
      baseURL: model.baseURL,
      githubToken: TOKEN,
      settings: { githubApiUrl: github.baseUrl },
    })
    const { engine } = services
    const handlers = createHandlers(services)
    try {
      // 1. The user's repositories, as the new-task page lists them.
      const page = await call(handlers, 'github.repos', { page: 1 })
      const repo = page.repos.find((r) => r.fullName === 'mona/shop')
      expect(repo).toBeDefined()

      // 2. The change, run with Codex; the clone is reported as it happens.
      const task = await call(handlers, 'tasks.submit', {
        source: { kind: 'git', url: repo!.cloneUrl },
        prompt: 'Add error handling to the login function',
        runtime: 'codex',
      })
      const done = await waitForStatus(engine, task.id, ['review'], 240_000)
      expect(done.runtime).toBe('codex')
      expect(done.diff).toMatchObject({ files: 1, additions: 1, deletions: 0 })
      const events = await call(handlers, 'tasks.events', { id: task.id })
      expect(events.some((e) => e.type === 'progress' && e.phase === 'clone')).toBe(true)

      // 3. The review's diff: Codex's edit, computed by the engine.
      const diff = await call(handlers, 'tasks.diff', { id: task.id })
      expect(diff.fileDiffs.map((f) => [f.newPath ?? f.oldPath, f.status])).toEqual([
        ['src/login.js', 'modified'],
      ])
      expect(diff.patch).toContain('+  if (!user) throw new Error("no user")')

      // 4. Publish: the default branch name is the seed's, the pull request is opened against main.
      const before = new Date()
      const outcome = await call(handlers, 'tasks.publish', {
        kind: 'pull_request',
        id: task.id,
        title: 'Add error handling to the login function',
        body: 'Done by Codex.',
      })
      expect(outcome).toMatchObject({ kind: 'pull_request', repo: 'mona/shop', forked: false })
      const branch = outcome.kind === 'pull_request' ? outcome.branch : ''
      const stamp = /^ai-changes-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)$/.exec(branch)
      expect(stamp, `branch ${branch}`).not.toBeNull()
      // YYYYMMDD-HHMMSS of the publish (UTC), not a fixed or random suffix.
      const [, y, mo, d, h, mi, s] = stamp!.map(Number)
      const at = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)
      expect(at).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000)
      expect(at).toBeLessThanOrEqual(Date.now())

      expect(github.pulls).toHaveLength(1)
      expect(github.pulls[0]).toMatchObject({
        title: 'Add error handling to the login function',
        state: 'open',
      })
      expect(github.pulls[0]!.base.ref).toBe('main')
      expect(github.pulls[0]!.head).toMatchObject({ ref: branch })
      expect(outcome.kind === 'pull_request' && outcome.url).toBe(`${github.baseUrl}/mona/shop/pull/1`)

      // 5. The pushed branch: Codex's change, one commit on top of main.
      const clone = join(root, 'check')
      const auth = `http.extraHeader=Authorization: Bearer ${TOKEN}`
      await git(root, '-c', auth, 'clone', '-q', repo!.cloneUrl, clone)
      await git(clone, '-c', auth, 'fetch', '-q', 'origin', branch)
      expect(await git(clone, 'rev-parse', 'FETCH_HEAD')).toBe(github.pulls[0]!.head.sha)
      expect(await git(clone, 'rev-parse', 'FETCH_HEAD^')).toBe(await git(clone, 'rev-parse', 'origin/main'))
      expect(await git(clone, 'diff', '--name-only', 'origin/main', 'FETCH_HEAD')).toBe('src/login.js')
      expect(await git(clone, 'show', 'FETCH_HEAD:src/login.js')).toBe(
        'export function login(user) {\n  if (!user) throw new Error("no user")\n  return user.name\n}',
      )
      expect(engine.get(task.id).outcomes).toEqual([outcome])
      expect(await grepTree(dataDir, TOKEN)).toEqual([])
      expect(github.violations).toEqual([])
    } finally {
      await engine.close()
      await model.close()
      await github.close()
      await server.close()
    }
  }, 300_000)
})
