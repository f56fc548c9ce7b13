import type { GitHub } from './client'
import { gitHubError, messageOf } from './errors'

export interface PullRequestOptions {
  owner: string
  repo: string
  /** A branch of owner/repo, or "forkOwner:branch" for a branch of a fork. */
  head: string
  base: string
  title: string
  body: string
  draft: boolean
}

export interface OpenedPullRequest {
  url: string
  number: number
  /** True when an open pull request for this head and base already existed and was returned. */
  existing: boolean
}

/**
 * Opens a pull request, or returns the open one for the same head and base: a retry after a failure
 * between push and PR must not open a duplicate. It looks first (GET …/pulls?head=owner:branch&base=…);
 * if GitHub still answers 422 "A pull request already exists" (a concurrent attempt), it looks again.
 */
export async function openPullRequest(gh: GitHub, opts: PullRequestOptions): Promise<OpenedPullRequest> {
  const head = opts.head.includes(':') ? opts.head : `${opts.owner}:${opts.head}`
  const what = `the pull request from ${head} into ${opts.owner}/${opts.repo}:${opts.base}`
  const found = await findOpen(gh, opts, head, what)
  if (found) return found
  try {
    const { data } = await gh.octokit.rest.pulls.create({
      owner: opts.owner,
      repo: opts.repo,
      head: opts.head,
      base: opts.base,
      title: opts.title,
      body: opts.body,
      draft: opts.draft,
    })
    return { url: data.html_url, number: data.number, existing: false }
  } catch (err) {
    const e = err as { status?: unknown; response?: { data?: unknown } }
    if (e.status === 422 && /pull request already exists/i.test(messageOf(e.response?.data) ?? '')) {
      const again = await findOpen(gh, opts, head, what)
      if (again) return again
    }
    throw gitHubError(err, what)
  }
}

async function findOpen(
  gh: GitHub,
  opts: PullRequestOptions,
  head: string,
  what: string,
): Promise<OpenedPullRequest | undefined> {
  try {
    const { data } = await gh.octokit.rest.pulls.list({
      owner: opts.owner,
      repo: opts.repo,
      head,
      base: opts.base,
      state: 'open',
      per_page: 10,
    })
    const pr = data[0]
    return pr ? { url: pr.html_url, number: pr.number, existing: true } : undefined
  } catch (err) {
    throw gitHubError(err, what)
  }
}
