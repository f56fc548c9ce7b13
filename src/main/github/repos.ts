import type { RepoPage, RepoSummary } from '../../shared/system'
import { AppError } from '../errors'
import type { GitHub } from './client'
import { gitHubError } from './errors'

type RepoData = Awaited<ReturnType<GitHub['octokit']['rest']['repos']['get']>>['data']
type RepoListItem = Awaited<
  ReturnType<GitHub['octokit']['rest']['repos']['listForAuthenticatedUser']>
>['data'][number]

const AFFILIATION = 'owner,collaborator,organization_member'
/** A query scans at most this many pages of 100 (1,000 repositories, most recently pushed first). */
const QUERY_SCAN_PAGES = 10

/**
 * The user's repositories, most recently pushed first. Without a query this is GitHub's own page.
 * GitHub has no server-side filter for GET /user/repos (and the search API misses collaborator and
 * organisation repositories), so a query is applied here: pages of 100 are fetched in order until
 * the requested page of matches is full plus one more match (to know there is a next page), or
 * the list ends, or QUERY_SCAN_PAGES were read. Each call rescans from the first page: simple, and
 * cheap enough for a picker that asks for one page at a time.
 */
export async function listRepos(
  gh: GitHub,
  opts: { page: number; perPage?: number; query?: string },
): Promise<RepoPage> {
  const perPage = Math.min(100, Math.max(1, Math.floor(opts.perPage ?? 30)))
  const page = Math.max(1, Math.floor(opts.page))
  const query = opts.query?.trim().toLowerCase()
  if (!query) {
    const res = await fetchPage(gh, page, perPage)
    return { repos: res.repos.map(toRepoSummary), page, hasMore: res.hasMore }
  }
  const wanted = page * perPage + 1
  const matches: RepoListItem[] = []
  for (let upstream = 1; upstream <= QUERY_SCAN_PAGES && matches.length < wanted; upstream++) {
    const res = await fetchPage(gh, upstream, 100)
    matches.push(...res.repos.filter((r) => matchesQuery(r, query)))
    if (!res.hasMore) break
  }
  const repos = matches.slice((page - 1) * perPage, page * perPage).map(toRepoSummary)
  return { repos, page, hasMore: matches.length > page * perPage }
}

async function fetchPage(
  gh: GitHub,
  page: number,
  perPage: number,
): Promise<{ repos: RepoListItem[]; hasMore: boolean }> {
  try {
    const res = await gh.octokit.rest.repos.listForAuthenticatedUser({
      affiliation: AFFILIATION,
      sort: 'pushed',
      direction: 'desc',
      per_page: perPage,
      page,
    })
    return { repos: res.data, hasMore: /\brel="next"/.test(res.headers.link ?? '') }
  } catch (err) {
    throw gitHubError(err, 'the list of your repositories')
  }
}

function matchesQuery(r: RepoListItem, query: string): boolean {
  return r.full_name.toLowerCase().includes(query) || (r.description ?? '').toLowerCase().includes(query)
}

export function toRepoSummary(r: RepoListItem | RepoData): RepoSummary {
  return {
    fullName: r.full_name,
    owner: r.owner.login,
    name: r.name,
    private: r.private,
    fork: r.fork,
    defaultBranch: r.default_branch,
    cloneUrl: r.clone_url,
    description: r.description,
    pushedAt: r.pushed_at ?? null,
    canPush: canPush(r.permissions),
  }
}

function canPush(p: { admin?: boolean; maintain?: boolean; push?: boolean } | undefined): boolean {
  return Boolean(p?.push || p?.maintain || p?.admin)
}

export async function repoInfo(
  gh: GitHub,
  owner: string,
  repo: string,
): Promise<{ defaultBranch: string; canPush: boolean; cloneUrl: string; fullName: string }> {
  try {
    const { data } = await gh.octokit.rest.repos.get({ owner, repo })
    return {
      defaultBranch: data.default_branch,
      canPush: canPush(data.permissions),
      cloneUrl: data.clone_url,
      fullName: data.full_name,
    }
  } catch (err) {
    throw gitHubError(err, `repository ${owner}/${repo}`)
  }
}

/**
 * Forks owner/repo into the token owner's account (GitHub returns the existing fork if there is one),
 * then waits, polling GET /repos with a growing interval, until the fork answers: GitHub creates
 * forks asynchronously and a push right after POST /forks can fail.
 */
export async function forkRepo(
  gh: GitHub,
  owner: string,
  repo: string,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<{ owner: string; repo: string; cloneUrl: string }> {
  let fork: { owner: string; repo: string; cloneUrl: string }
  try {
    const { data } = await gh.octokit.rest.repos.createFork({ owner, repo })
    fork = { owner: data.owner.login, repo: data.name, cloneUrl: data.clone_url }
  } catch (err) {
    throw gitHubError(err, `forking ${owner}/${repo}`)
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000)
  let interval = opts.intervalMs ?? 1000
  for (;;) {
    try {
      const { data } = await gh.octokit.rest.repos.get({ owner: fork.owner, repo: fork.repo })
      return { ...fork, cloneUrl: data.clone_url }
    } catch (err) {
      const status = (err as { status?: unknown }).status
      if (status !== 404 && status !== 409) throw gitHubError(err, `the fork ${fork.owner}/${fork.repo}`)
    }
    if (Date.now() + interval > deadline) {
      throw new AppError('timeout', `GitHub is still creating the fork ${fork.owner}/${fork.repo}.`, {
        hint: 'Try again in a minute; the same fork will be used.',
      })
    }
    await new Promise((resolve) => setTimeout(resolve, interval))
    interval = Math.min(interval * 1.5, 5000)
  }
}
