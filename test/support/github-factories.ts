/**
 * Small factories for the objects GitHub's REST API returns, complete as its OpenAPI description requires
 * (the double validates every response, so a missing field fails loudly). URLs follow GitHub's layout
 * under the double's base URL: API objects at `${api}/repos/o/r`, web pages at `${api}/o/r`.
 */
export interface UserState {
  login: string
  id: number
}

export interface RepoState {
  id: number
  owner: UserState
  name: string
  private: boolean
  description: string | null
  defaultBranch: string
  pushedAt: string
  createdAt: string
  permissions: { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean }
  cloneUrl: string
  parent?: RepoState
}

export interface PullState {
  id: number
  number: number
  base: { repo: RepoState; ref: string; sha: string }
  head: { repo: RepoState; ref: string; sha: string }
  user: UserState
  title: string
  body: string | null
  draft: boolean
  state: 'open' | 'closed'
  createdAt: string
  maintainerCanModify: boolean
}

export function simpleUser(api: string, u: UserState): Record<string, unknown> {
  const url = `${api}/users/${u.login}`
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId('U', u.id),
    avatar_url: `${api}/avatars/u/${u.id}`,
    gravatar_id: '',
    url,
    html_url: `${api}/${u.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
  }
}

/** GET /user for the token's owner: GitHub's "Private User". */
export function privateUser(api: string, u: UserState, created: string): Record<string, unknown> {
  return {
    ...simpleUser(api, u),
    user_view_type: 'private',
    name: u.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    notification_email: null,
    public_repos: 2,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: created,
    private_gists: 0,
    total_private_repos: 1,
    owned_private_repos: 1,
    disk_usage: 100,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { collaborators: 0, name: 'pro', space: 976562499, private_repos: 9999 },
  }
}

/** The "Repository" object of GET /user/repos (and of a pull request's head/base). */
export function repository(api: string, r: RepoState, withPermissions = true): Record<string, unknown> {
  const full = `${r.owner.login}/${r.name}`
  const url = `${api}/repos/${full}`
  const html = `${api}/${full}`
  const host = new URL(api).host
  const out: Record<string, unknown> = {
    id: r.id,
    node_id: nodeId('R', r.id),
    name: r.name,
    full_name: full,
    owner: simpleUser(api, r.owner),
    private: r.private,
    html_url: html,
    description: r.description,
    fork: Boolean(r.parent),
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://${host}/${full}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@${new URL(api).hostname}:${full}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: r.cloneUrl,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: 'TypeScript',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 12,
    default_branch: r.defaultBranch,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: !r.parent,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: r.private ? 'private' : 'public',
    pushed_at: r.pushedAt,
    created_at: r.createdAt,
    updated_at: r.pushedAt,
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
  }
  if (withPermissions) out.permissions = { ...r.permissions }
  return out
}

/** GET /repos/{o}/{r} and POST …/forks: GitHub's "Full Repository". */
export function fullRepository(api: string, r: RepoState): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...repository(api, r),
    has_discussions: false,
    network_count: 0,
    subscribers_count: 1,
  }
  if (r.parent) {
    out.parent = repository(api, r.parent, false)
    out.source = repository(api, r.parent, false)
  }
  return out
}

/** A pull request: the listing's "Pull Request Simple", or with `full` the "Pull Request" of POST. */
export function pullRequest(api: string, p: PullState, full: boolean): Record<string, unknown> {
  const baseFull = `${p.base.repo.owner.login}/${p.base.repo.name}`
  const url = `${api}/repos/${baseFull}/pulls/${p.number}`
  const html = `${api}/${baseFull}/pull/${p.number}`
  const issue = `${api}/repos/${baseFull}/issues/${p.number}`
  const statuses = `${api}/repos/${baseFull}/statuses/${p.head.sha}`
  const side = (s: PullState['head']): Record<string, unknown> => ({
    label: `${s.repo.owner.login}:${s.ref}`,
    ref: s.ref,
    repo: repository(api, s.repo, false),
    sha: s.sha,
    user: simpleUser(api, s.repo.owner),
  })
  const out: Record<string, unknown> = {
    url,
    id: p.id,
    node_id: nodeId('PR', p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/repos/${baseFull}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: statuses,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: simpleUser(api, p.user),
    body: p.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.createdAt,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(p.head),
    base: side(p.base),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/repos/${baseFull}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statuses },
    },
    author_association: p.user.login === p.base.repo.owner.login ? 'OWNER' : 'CONTRIBUTOR',
    auto_merge: null,
    draft: p.draft,
  }
  if (!full) return out
  return {
    ...out,
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: p.maintainerCanModify,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  }
}

export function basicError(message: string, status: number): Record<string, unknown> {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) }
}

function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}_${id}`).toString('base64').replace(/=+$/, '')
}
