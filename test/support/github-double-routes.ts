import type { DoubleRepo, DoubleState } from './github-double-state'
import { basicError, fullRepository, privateUser, pullRequest, repository } from './github-factories'

/** What GitHub's endpoints do, over the double's state. Requests arrive already validated. */
export interface RouteContext {
  state: DoubleState
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
  /** The token's classic OAuth scopes; undefined for a fine-grained token. */
  scopes: string[] | undefined
}

export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export interface Route {
  method: 'GET' | 'POST'
  /** OpenAPI path template. */
  path: string
  /** X-Accepted-OAuth-Scopes GitHub sends for it. */
  accepted: string[]
  handle(ctx: RouteContext): Promise<Reply>
}

const notFound = (): Reply => ({ status: 404, body: basicError('Not Found', 404) })
const hasScope = (ctx: RouteContext, ...names: string[]): boolean =>
  !ctx.scopes || names.some((n) => ctx.scopes?.includes(n))

/** A repository the token can see (private ones need `repo`; GitHub answers 404, not 403). */
function visibleRepo(
  ctx: RouteContext,
  owner = ctx.params.owner,
  name = ctx.params.repo,
): DoubleRepo | undefined {
  const repo = owner && name ? ctx.state.find(owner, name) : undefined
  if (!repo || (repo.private && !hasScope(ctx, 'repo'))) return undefined
  return repo
}

function page(ctx: RouteContext): { perPage: number; page: number } {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page') ?? 30)))
  return { perPage, page: Math.max(1, Number(ctx.query.get('page') ?? 1)) }
}

/** Link header as GitHub writes it: next/last/first/prev, the same query with another page. */
function linkHeader(ctx: RouteContext, path: string, current: number, last: number): string | undefined {
  const link = (n: number, rel: string): string => {
    const q = new URLSearchParams(ctx.query)
    q.set('page', String(n))
    return `<${ctx.state.api}${path}?${q}>; rel="${rel}"`
  }
  const parts: string[] = []
  if (current > 1) parts.push(link(current - 1, 'prev'))
  if (current < last) parts.push(link(current + 1, 'next'), link(last, 'last'))
  if (current > 1) parts.push(link(1, 'first'))
  return parts.length ? parts.join(', ') : undefined
}

function paged<T>(
  ctx: RouteContext,
  path: string,
  items: T[],
): { items: T[]; headers: Record<string, string> } {
  const { perPage, page: n } = page(ctx)
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const link = linkHeader(ctx, path, n, last)
  return { items: items.slice((n - 1) * perPage, n * perPage), headers: link ? { Link: link } : {} }
}

const getUser: Route = {
  method: 'GET',
  path: '/user',
  accepted: [],
  handle: async ({ state }) => ({
    status: 200,
    body: privateUser(state.api, state.user, '2020-01-01T00:00:00Z'),
  }),
}

const listRepos: Route = {
  method: 'GET',
  path: '/user/repos',
  accepted: [],
  handle: async (ctx) => {
    const { state, query } = ctx
    const affiliation = (query.get('affiliation') ?? 'owner,collaborator,organization_member').split(',')
    const visibility = query.get('visibility') ?? 'all'
    const sort = query.get('sort') ?? 'full_name'
    const direction = query.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc')
    const repos = [...state.repos.values()].filter((r) => {
      if (!r.listed || r.pendingPolls > 0) return false
      if (r.private && !hasScope(ctx, 'repo')) return false
      if (visibility !== 'all' && (visibility === 'private') !== r.private) return false
      const mine = r.owner.login === state.user.login
      return mine ? affiliation.includes('owner') : affiliation.includes('collaborator')
    })
    const key = (r: DoubleRepo): string =>
      sort === 'pushed' || sort === 'updated'
        ? r.pushedAt
        : sort === 'created'
          ? r.createdAt
          : `${r.owner.login}/${r.name}`.toLowerCase()
    repos.sort((a, b) => key(a).localeCompare(key(b)) * (direction === 'asc' ? 1 : -1))
    const { items, headers } = paged(ctx, '/user/repos', repos)
    return { status: 200, body: items.map((r) => repository(state.api, r)), headers }
  },
}

const getRepo: Route = {
  method: 'GET',
  path: '/repos/{owner}/{repo}',
  accepted: ['repo'],
  handle: async (ctx) => {
    const repo = visibleRepo(ctx)
    if (!repo) return notFound()
    if (repo.pendingPolls > 0) {
      repo.pendingPolls--
      return notFound()
    }
    return { status: 200, body: fullRepository(ctx.state.api, repo) }
  },
}

const createFork: Route = {
  method: 'POST',
  path: '/repos/{owner}/{repo}/forks',
  accepted: ['public_repo', 'repo'],
  handle: async (ctx) => {
    const source = visibleRepo(ctx)
    if (!source) return notFound()
    if (!hasScope(ctx, 'public_repo', 'repo')) {
      return { status: 403, body: basicError('Resource not accessible by personal access token', 403) }
    }
    const body = (ctx.body ?? {}) as { name?: string; organization?: string }
    if (body.organization)
      return { status: 403, body: basicError('Forking into organizations is not served', 403) }
    const fork = await ctx.state.fork(source, body.name)
    return { status: 202, body: fullRepository(ctx.state.api, fork) }
  },
}

const listPulls: Route = {
  method: 'GET',
  path: '/repos/{owner}/{repo}/pulls',
  accepted: ['repo'],
  handle: async (ctx) => {
    const repo = visibleRepo(ctx)
    if (!repo) return notFound()
    const state = ctx.query.get('state') ?? 'open'
    const head = ctx.query.get('head')
    const base = ctx.query.get('base')
    const pulls = ctx.state.pulls
      .filter((p) => p.base.repo === repo && (state === 'all' || p.state === state))
      .filter((p) => !base || p.base.ref === base)
      .filter((p) => !head || headMatches(head, p.head.repo.owner.login, p.head.ref))
      .sort((a, b) => b.number - a.number)
    const path = `/repos/${repo.owner.login}/${repo.name}/pulls`
    const { items, headers } = paged(ctx, path, pulls)
    return { status: 200, body: items.map((p) => pullRequest(ctx.state.api, p, false)), headers }
  },
}

/** `head` filters by "user:ref"; a bare "user" matches all of that user's branches. */
function headMatches(head: string, owner: string, ref: string): boolean {
  const colon = head.indexOf(':')
  if (colon < 0) return head.toLowerCase() === owner.toLowerCase()
  return head.slice(0, colon).toLowerCase() === owner.toLowerCase() && head.slice(colon + 1) === ref
}

const validationFailed = (errors: Record<string, unknown>[]): Reply => ({
  status: 422,
  body: {
    message: 'Validation Failed',
    errors,
    documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
    status: '422',
  },
})

const createPull: Route = {
  method: 'POST',
  path: '/repos/{owner}/{repo}/pulls',
  accepted: ['public_repo', 'repo'],
  handle: async (ctx) => {
    const repo = visibleRepo(ctx)
    if (!repo) return notFound()
    if (!hasScope(ctx, 'public_repo', 'repo')) {
      return { status: 403, body: basicError('Resource not accessible by personal access token', 403) }
    }
    const body = ctx.body as { title?: string; head: string; base: string; body?: string; draft?: boolean }
    if (!body.title)
      return validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }])
    const colon = body.head.indexOf(':')
    const headOwner = colon < 0 ? repo.owner.login : body.head.slice(0, colon)
    const headRef = colon < 0 ? body.head : body.head.slice(colon + 1)
    const headRepo =
      headOwner.toLowerCase() === repo.owner.login.toLowerCase()
        ? repo
        : [...ctx.state.repos.values()].find((r) => r.parent === repo && r.owner.login === headOwner)
    const baseSha = await ctx.state.branchSha(repo, body.base)
    if (!baseSha) return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
    const headSha = headRepo ? await ctx.state.branchSha(headRepo, headRef) : undefined
    if (!headRepo || !headSha)
      return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }])
    const dup = ctx.state.pulls.find(
      (p) =>
        p.state === 'open' &&
        p.base.repo === repo &&
        p.base.ref === body.base &&
        p.head.repo === headRepo &&
        p.head.ref === headRef,
    )
    if (dup) {
      const message = `A pull request already exists for ${headRepo.owner.login}:${headRef}.`
      return validationFailed([{ resource: 'PullRequest', code: 'custom', message }])
    }
    if (await ctx.state.noCommitsBetween(repo, baseSha, headRepo, headSha)) {
      const message = `No commits between ${body.base} and ${body.head}`
      return validationFailed([{ resource: 'PullRequest', code: 'custom', message }])
    }
    const pull = ctx.state.addPull({
      base: { repo, ref: body.base, sha: baseSha },
      head: { repo: headRepo, ref: headRef, sha: headSha },
      user: ctx.state.user,
      title: body.title,
      body: body.body ?? null,
      draft: body.draft ?? false,
      maintainerCanModify: headRepo !== repo,
    })
    const json = pullRequest(ctx.state.api, pull, true)
    return { status: 201, body: json, headers: { Location: String(json.url) } }
  },
}

export const ROUTES: Route[] = [getUser, listRepos, getRepo, createFork, listPulls, createPull]
