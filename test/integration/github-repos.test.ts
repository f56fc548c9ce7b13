import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src/main/errors'
import { createGitHub } from '../../src/main/github/client'
import { listRepos, repoInfo } from '../../src/main/github/repos'
import { gitHubStatus } from '../../src/main/github/status'
import { startGitHubDouble, type GitHubDouble, type GitHubDoubleOptions } from '../support/github-double'

const TOKEN = 'ghp_repoListingSecret0123456789abcdefABCD'
let double: GitHubDouble | undefined

async function start(opts: Partial<GitHubDoubleOptions> = {}): Promise<GitHubDouble> {
  double = await startGitHubDouble({ token: TOKEN, ...opts })
  return double
}

afterEach(async () => {
  await double?.close()
  double = undefined
})

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  const appError = err as AppError
  expect(JSON.stringify({ m: appError.message, h: appError.hint, d: appError.details })).not.toContain(TOKEN)
  return appError
}

/** 70 repositories pushed one hour apart, every third private, some owned by others. */
async function seventyRepos(d: GitHubDouble): Promise<void> {
  const start = Date.parse('2024-05-01T00:00:00Z')
  for (let i = 0; i < 70; i++) {
    await d.addRepo({
      owner: i % 5 === 0 ? 'acme' : undefined,
      name: `project-${String(i).padStart(2, '0')}`,
      private: i % 3 === 0,
      description: i % 10 === 7 ? `The Widget service, part ${i}` : `Tool number ${i}`,
      pushedAt: new Date(start + ((i * 37) % 70) * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      canPush: i % 5 === 0 ? false : undefined,
    })
  }
}

describe('GitHub repositories against the OpenAPI-checked double', () => {
  it('lists 3 pages, most recently pushed first, private ones marked, push rights known', async () => {
    const d = await start()
    await seventyRepos(d)
    const gh = createGitHub({ token: TOKEN, baseUrl: d.baseUrl })
    const pages = [
      await listRepos(gh, { page: 1 }),
      await listRepos(gh, { page: 2 }),
      await listRepos(gh, { page: 3 }),
    ]
    expect(pages.map((p) => [p.page, p.repos.length, p.hasMore])).toEqual([
      [1, 30, true],
      [2, 30, true],
      [3, 10, false],
    ])
    const all = pages.flatMap((p) => p.repos)
    expect(new Set(all.map((r) => r.fullName)).size).toBe(70)
    const pushed = all.map((r) => r.pushedAt ?? '')
    expect(pushed).toEqual([...pushed].sort().reverse())
    const p00 = all.find((r) => r.name === 'project-00')
    expect(p00).toMatchObject({ fullName: 'acme/project-00', owner: 'acme', private: true, canPush: false })
    expect(all.find((r) => r.name === 'project-01')).toMatchObject({
      private: false,
      canPush: true,
      fork: false,
    })
    expect(all.filter((r) => r.private)).toHaveLength(24)
    expect(p00?.defaultBranch).toBe('main')
    const listCalls = d.requests.filter((r) => r.path === '/user/repos')
    expect(listCalls[0]?.query).toMatchObject({
      affiliation: 'owner,collaborator,organization_member',
      sort: 'pushed',
      direction: 'desc',
      page: '1',
    })
    expect(d.violations).toEqual([])
  })

  it('filters by name or description, case-insensitively, across upstream pages', async () => {
    const d = await start()
    await seventyRepos(d)
    for (let i = 0; i < 120; i++) await d.addRepo({ name: `filler-${i}`, pushedAt: '2025-01-01T00:00:00Z' })
    const gh = createGitHub({ token: TOKEN, baseUrl: d.baseUrl })
    const widgets = await listRepos(gh, { page: 1, perPage: 5, query: 'WIDGET' })
    expect(widgets.repos.map((r) => r.description)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Widget/)]),
    )
    expect(widgets.repos).toHaveLength(5)
    expect(widgets.hasMore).toBe(true)
    const rest = await listRepos(gh, { page: 2, perPage: 5, query: 'widget' })
    expect(rest.repos).toHaveLength(2)
    expect(rest.hasMore).toBe(false)
    const byName = await listRepos(gh, { page: 1, query: 'acme/project-1' })
    expect(byName.repos.map((r) => r.fullName).sort()).toEqual(['acme/project-10', 'acme/project-15'])
    expect(await listRepos(gh, { page: 1, query: 'no-such-thing' })).toEqual({
      repos: [],
      page: 1,
      hasMore: false,
    })
    expect(d.violations).toEqual([])
  })

  it('reports the login and the scopes of a classic token; none for a fine-grained one', async () => {
    const d = await start({ login: 'mona', scopes: ['repo', 'read:org'] })
    expect(await gitHubStatus(createGitHub({ token: TOKEN, baseUrl: d.baseUrl }))).toEqual({
      tokenSet: true,
      login: 'mona',
      scopes: ['repo', 'read:org'],
    })
    await d.close()
    const fine = await start({ login: 'mona' })
    expect(await gitHubStatus(createGitHub({ token: TOKEN, baseUrl: fine.baseUrl }))).toEqual({
      tokenSet: true,
      login: 'mona',
    })
    expect(await gitHubStatus(undefined)).toEqual({ tokenSet: false })
    expect(fine.violations).toEqual([])
  })

  it('reads a repository: default branch, push rights, clone URL', async () => {
    const d = await start()
    await d.addRepo({ owner: 'acme', name: 'api', defaultBranch: 'develop', canPush: true })
    const gh = createGitHub({ token: TOKEN, baseUrl: d.baseUrl })
    expect(await repoInfo(gh, 'acme', 'api')).toEqual({
      defaultBranch: 'develop',
      canPush: true,
      cloneUrl: `${d.baseUrl}/acme/api.git`,
      fullName: 'acme/api',
    })
    expect(d.violations).toEqual([])
  })

  it('401: a rejected token says so and points to Settings, without the token', async () => {
    const d = await start()
    const bad = createGitHub({ token: 'ghp_wrongToken000000000000000000000000', baseUrl: d.baseUrl })
    const status = await gitHubStatus(bad)
    expect(status.error).toMatchObject({ kind: 'auth_failed', message: expect.stringMatching(/rejected/) })
    expect(status.error?.hint).toMatch(/Settings/)
    const err = await rejection(listRepos(bad, { page: 1 }))
    expect(err.kind).toBe('auth_failed')
    expect(err.message).toBe('The GitHub token was rejected (expired or revoked).')
    expect(JSON.stringify(status)).not.toContain('ghp_wrongToken')
    expect(d.requests.every((r) => !r.authorized && r.status === 401)).toBe(true)
    expect(d.violations).toEqual([])
  })

  it('403 rate limit: says when it resets', async () => {
    const d = await start()
    const reset = Math.floor(Date.now() / 1000) + 15 * 60
    d.setRateLimit({ remaining: 0, reset })
    const err = await rejection(listRepos(createGitHub({ token: TOKEN, baseUrl: d.baseUrl }), { page: 1 }))
    expect(err.message).toMatch(/rate limit is used up .*resets at \d\d:\d\d \(in 1[45] min\)/)
    expect(err.details).toMatchObject({
      status: 403,
      rateLimited: true,
      resetAt: new Date(reset * 1000).toISOString(),
    })
    expect(d.violations).toEqual([])
  })

  it('missing scopes are named: 404 on a private repository, 403 on a write', async () => {
    const d = await start({ scopes: ['read:user'] })
    await d.addRepo({ owner: 'acme', name: 'secret', private: true })
    await d.addRepo({ owner: 'acme', name: 'open' })
    const gh = createGitHub({ token: TOKEN, baseUrl: d.baseUrl })
    const read = await rejection(repoInfo(gh, 'acme', 'secret'))
    expect(read.kind).toBe('auth_failed')
    expect(read.message).toBe('GitHub refused repository acme/secret: the token needs the `repo` scope.')
    expect(read.hint).toMatch(/Settings/)
    const { forkRepo } = await import('../../src/main/github/repos')
    const write = await rejection(forkRepo(gh, 'acme', 'open'))
    expect(write.message).toMatch(/needs one of the scopes `public_repo`, `repo`/)
    expect((await listRepos(gh, { page: 1 })).repos.map((r) => r.fullName)).toEqual(['acme/open'])
    expect(d.violations).toEqual([])
  })

  it('404: not found, or the token cannot see it', async () => {
    const d = await start()
    const err = await rejection(
      repoInfo(createGitHub({ token: TOKEN, baseUrl: d.baseUrl }), 'acme', 'missing'),
    )
    expect(err.kind).toBe('not_found')
    expect(err.message).toBe("Repository acme/missing was not found, or the token can't see it.")
    expect(d.violations).toEqual([])
  })

  it('the double itself rejects malformed requests against GitHub’s description', async () => {
    const d = await start()
    await d.addRepo({ owner: 'acme', name: 'api' })
    const headers = { authorization: `token ${TOKEN}`, 'content-type': 'application/json' }
    const badSort = await fetch(`${d.baseUrl}/user/repos?sort=stars`, { headers })
    expect(badSort.status).toBe(500)
    expect(((await badSort.json()) as { message: string }).message).toMatch(
      /query\.sort must be equal to one of/,
    )
    const badBody = await fetch(`${d.baseUrl}/repos/acme/api/pulls`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ head: 'feature', base: 'main', title: 'x', draft: 'yes' }),
    })
    expect(badBody.status).toBe(500)
    expect(((await badBody.json()) as { message: string }).message).toMatch(/body\/draft must be boolean/)
    const missing = await fetch(`${d.baseUrl}/repos/acme/api/pulls`, {
      method: 'POST',
      headers,
      body: '{"title":"x"}',
    })
    expect(await missing.text()).toMatch(/must have required property 'head'/)
    const unknown = await fetch(`${d.baseUrl}/user/repos?per_page=5&sorting=pushed`, { headers })
    expect(await unknown.text()).toMatch(/query parameter sorting is not in GitHub's description/)
    // A response the double would send that breaks the schema is caught too (injected: not a Basic Error).
    d.failNext(404, { message: 404 })
    const badResponse = await fetch(`${d.baseUrl}/repos/acme/api`, { headers })
    expect(await badResponse.text()).toMatch(/response 404\/message must be string/)
    expect(d.violations).toHaveLength(5)
  })
})
