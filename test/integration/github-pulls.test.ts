import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src/main/errors'
import { runGit } from '../../src/main/git/git'
import { createGitHub, type GitHub } from '../../src/main/github/client'
import { openPullRequest } from '../../src/main/github/pull-request'
import { gitHubRepoOf } from '../../src/main/github/repo-url'
import { forkRepo, repoInfo } from '../../src/main/github/repos'
import { startGitServer, type GitServer } from '../support/git-server'
import { startGitHubDouble, type GitHubDouble } from '../support/github-double'
import { tempDir } from '../support/tmp'

const TOKEN = 'ghp_pullRequestSecret0123456789abcdefABCD'
let git: GitServer | undefined
let double: GitHubDouble | undefined

afterEach(async () => {
  await double?.close()
  await git?.close()
  double = undefined
  git = undefined
})

async function world(
  opts: { forkReadyAfter?: number } = {},
): Promise<{ d: GitHubDouble; gh: GitHub; g: GitServer }> {
  git = await startGitServer()
  double = await startGitHubDouble({ token: TOKEN, gitServer: git, login: 'mona', ...opts })
  return { d: double, gh: createGitHub({ token: TOKEN, baseUrl: double.baseUrl }), g: git }
}

/** Clones `url`, commits one file on `branch` and pushes it over HTTP, as the publish step will. */
async function pushBranch(url: string, branch: string, file: string): Promise<void> {
  const dir = await tempDir('codex-gh-push-')
  await runGit(['clone', '-q', url, dir])
  await writeFile(join(dir, file), `changed on ${branch}\n`)
  await runGit(['add', file], { cwd: dir })
  await runGit(['commit', '-q', '-m', `work on ${branch}`], { cwd: dir })
  await runGit(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir })
}

const pr = { title: 'Add input validation', body: 'The agent added checks.\n\n- signup form', draft: true }

describe('pull requests and forks against the OpenAPI-checked double and a real git server', () => {
  it('opens a pull request with title, body, draft and base; a retry returns it instead of a duplicate', async () => {
    const { d, gh } = await world()
    const repo = await d.addRepo({ owner: 'acme', name: 'shop', canPush: true, defaultBranch: 'trunk' })
    expect(gitHubRepoOf(repo.cloneUrl, d.baseUrl)).toEqual({ owner: 'acme', repo: 'shop' })
    await pushBranch(repo.cloneUrl, 'ai-changes-20240501-101500', 'a.txt')
    const opened = await openPullRequest(gh, {
      owner: 'acme',
      repo: 'shop',
      head: 'ai-changes-20240501-101500',
      base: 'trunk',
      ...pr,
    })
    expect(opened).toEqual({ url: `${d.baseUrl}/acme/shop/pull/1`, number: 1, existing: false })
    expect(d.pulls).toHaveLength(1)
    expect(d.pulls[0]).toMatchObject({ title: pr.title, body: pr.body, draft: true, state: 'open' })
    expect(d.pulls[0]?.base.ref).toBe('trunk')
    expect(d.pulls[0]?.head).toMatchObject({ ref: 'ai-changes-20240501-101500' })
    expect(d.pulls[0]?.head.sha).toMatch(/^[0-9a-f]{40}$/)

    const again = await openPullRequest(gh, {
      owner: 'acme',
      repo: 'shop',
      head: 'ai-changes-20240501-101500',
      base: 'trunk',
      ...pr,
    })
    expect(again).toEqual({ url: opened.url, number: 1, existing: true })
    expect(d.pulls).toHaveLength(1)
    expect(d.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    const list = d.requests.find((r) => r.method === 'GET' && r.path === '/repos/acme/shop/pulls')
    expect(list?.query).toMatchObject({
      head: 'acme:ai-changes-20240501-101500',
      base: 'trunk',
      state: 'open',
    })
    expect(d.violations).toEqual([])
  })

  it('422 "A pull request already exists" (a concurrent attempt) returns the open one', async () => {
    const { d, gh } = await world()
    await d.addRepo({ owner: 'mona', name: 'notes' })
    const repo = await repoInfo(gh, 'mona', 'notes')
    await pushBranch(repo.cloneUrl, 'fix', 'b.txt')
    // Between our look-up and our create, another attempt opens the same pull request.
    d.beforeNext({ method: 'POST', path: '/repos/mona/notes/pulls' }, async () => {
      await d.addPull({ owner: 'mona', repo: 'notes', head: 'fix', base: 'main', title: 'other attempt' })
    })
    const opened = await openPullRequest(gh, {
      owner: 'mona',
      repo: 'notes',
      head: 'fix',
      base: 'main',
      ...pr,
    })
    expect(opened).toEqual({ url: `${d.baseUrl}/mona/notes/pull/1`, number: 1, existing: true })
    const post = d.requests.find((r) => r.method === 'POST')
    expect(post?.status).toBe(422)
    expect(d.pulls).toHaveLength(1)
    expect(d.violations).toEqual([])
  })

  it('422 validation errors carry GitHub’s reason: missing head branch, no commits', async () => {
    const { d, gh } = await world()
    await d.addRepo({ owner: 'mona', name: 'notes' })
    const missing = await openPullRequest(gh, {
      owner: 'mona',
      repo: 'notes',
      head: 'nope',
      base: 'main',
      ...pr,
    }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(AppError)
    expect(missing).toMatchObject({
      kind: 'invalid_input',
      message: expect.stringMatching(/: head invalid\.$/),
    })
    const dir = await tempDir('codex-gh-same-')
    await runGit(['clone', '-q', `${git?.baseUrl}/mona/notes.git`, dir])
    await runGit(['push', '-q', 'origin', 'HEAD:refs/heads/same'], { cwd: dir })
    const same = await openPullRequest(gh, {
      owner: 'mona',
      repo: 'notes',
      head: 'same',
      base: 'main',
      ...pr,
    }).catch((e: unknown) => e)
    expect(same).toMatchObject({
      kind: 'invalid_input',
      message: expect.stringMatching(/No commits between main and same/),
    })
    expect(d.pulls).toHaveLength(0)
    expect(d.violations).toEqual([])
  })

  it('fork flow: no push rights → fork (polled until ready) → push to the fork → PR from fork:branch', async () => {
    const { d, gh, g } = await world({ forkReadyAfter: 2 })
    await d.addRepo({ owner: 'acme', name: 'engine', files: { 'src/x.ts': 'export {}\n' } })
    const upstream = await repoInfo(gh, 'acme', 'engine')
    expect(upstream.canPush).toBe(false)
    const fork = await forkRepo(gh, 'acme', 'engine', { intervalMs: 20 })
    expect(fork).toEqual({ owner: 'mona', repo: 'engine', cloneUrl: `${g.baseUrl}/mona/engine.git` })
    const polls = d.requests.filter((r) => r.method === 'GET' && r.path === '/repos/mona/engine')
    expect(polls.map((r) => r.status)).toEqual([404, 404, 200])
    expect(gitHubRepoOf(fork.cloneUrl, d.baseUrl)).toEqual({ owner: 'mona', repo: 'engine' })

    await pushBranch(fork.cloneUrl, 'ai-changes-1', 'src/y.ts')
    const opened = await openPullRequest(gh, {
      owner: 'acme',
      repo: 'engine',
      head: `${fork.owner}:ai-changes-1`,
      base: upstream.defaultBranch,
      ...pr,
      draft: false,
    })
    expect(opened).toMatchObject({ number: 1, existing: false, url: `${d.baseUrl}/acme/engine/pull/1` })
    expect(d.pulls[0]?.head.repo.owner.login).toBe('mona')
    expect(d.pulls[0]?.draft).toBe(false)
    // Forking again reuses the fork.
    expect(await forkRepo(gh, 'acme', 'engine', { intervalMs: 20 })).toEqual(fork)
    expect(d.forks).toHaveLength(1)
    expect(d.violations).toEqual([])
  })

  it('a fork that never appears ends in a bounded, clear timeout', async () => {
    const { d, gh } = await world({ forkReadyAfter: 1000 })
    await d.addRepo({ owner: 'acme', name: 'slow' })
    const err = await forkRepo(gh, 'acme', 'slow', { intervalMs: 20, timeoutMs: 300 }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ kind: 'timeout', message: 'GitHub is still creating the fork mona/slow.' })
    expect(d.violations).toEqual([])
  })
})
