import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { runGit } from '../../src/main/git/git'
import type { PullState, RepoState, UserState } from './github-factories'
import type { GitServer } from './git-server'

/** What a test declares about a repository the token can see. */
export interface RepoSpec {
  /** Default: the token's login. */
  owner?: string
  name: string
  private?: boolean
  description?: string | null
  pushedAt?: string
  defaultBranch?: string
  /** Whether the token may push (default: true for the token's own repositories, false otherwise). */
  canPush?: boolean
  /** Files of the first commit in the git server (default a README). */
  files?: Record<string, string>
  /** Whether GET /user/repos lists it (default true). */
  listed?: boolean
}

export interface DoubleRepo extends RepoState {
  listed: boolean
  /** GET /repos answers 404 this many more times (a fork still being created). */
  pendingPolls: number
}

/** The double's world: users, repositories (backed by bare repos on the git server) and pull requests. */
export class DoubleState {
  readonly user: UserState
  readonly repos = new Map<string, DoubleRepo>()
  readonly pulls: PullState[] = []
  readonly forks: DoubleRepo[] = []
  private nextId = 1000
  private readonly users = new Map<string, UserState>()

  constructor(
    readonly api: string,
    login: string,
    readonly gitServer: GitServer | undefined,
    readonly forkReadyAfter: number,
  ) {
    this.user = this.userNamed(login)
  }

  id(): number {
    return ++this.nextId
  }

  userNamed(login: string): UserState {
    let u = this.users.get(login.toLowerCase())
    if (!u) {
      u = { login, id: this.id() }
      this.users.set(login.toLowerCase(), u)
    }
    return u
  }

  find(owner: string, name: string): DoubleRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase())
  }

  async addRepo(spec: RepoSpec): Promise<DoubleRepo> {
    const owner = this.userNamed(spec.owner ?? this.user.login)
    const mine = owner.login === this.user.login
    const push = spec.canPush ?? mine
    const defaultBranch = spec.defaultBranch ?? 'main'
    const files = spec.files ?? { 'README.md': `# ${spec.name}\n` }
    const cloneUrl = this.gitServer
      ? await this.gitServer.createRepo(`${owner.login}/${spec.name}`, files, { branch: defaultBranch })
      : `${this.api}/${owner.login}/${spec.name}.git`
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const repo: DoubleRepo = {
      id: this.id(),
      owner,
      name: spec.name,
      private: spec.private ?? false,
      description: spec.description ?? null,
      defaultBranch,
      pushedAt: spec.pushedAt ?? now,
      createdAt: '2020-01-01T00:00:00Z',
      permissions: { admin: mine, maintain: mine, push, triage: push, pull: true },
      cloneUrl,
      listed: spec.listed ?? true,
      pendingPolls: 0,
    }
    this.repos.set(`${owner.login}/${spec.name}`.toLowerCase(), repo)
    return repo
  }

  /** POST /forks: the token's user gets a copy (the same one again if it already forked it). */
  async fork(source: DoubleRepo, name?: string): Promise<DoubleRepo> {
    const existing = [...this.repos.values()].find(
      (r) => r.parent === source && r.owner.login === this.user.login,
    )
    if (existing) return existing
    let forkName = name ?? source.name
    for (let i = 1; this.find(this.user.login, forkName); i++) forkName = `${name ?? source.name}-${i}`
    let cloneUrl = `${this.api}/${this.user.login}/${forkName}.git`
    if (this.gitServer) {
      const root = this.gitServer.root
      await cp(
        join(root, `${source.owner.login}/${source.name}.git`),
        join(root, `${this.user.login}/${forkName}.git`),
        {
          recursive: true,
        },
      )
      cloneUrl = `${this.gitServer.baseUrl}/${this.user.login}/${forkName}.git`
    }
    const fork: DoubleRepo = {
      ...source,
      id: this.id(),
      owner: this.user,
      name: forkName,
      private: source.private,
      permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
      cloneUrl,
      parent: source,
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      listed: true,
      pendingPolls: this.forkReadyAfter,
    }
    this.repos.set(`${this.user.login}/${forkName}`.toLowerCase(), fork)
    this.forks.push(fork)
    return fork
  }

  /** The commit a branch points at, or undefined when it does not exist (checked in the bare repo). */
  async branchSha(repo: DoubleRepo, branch: string): Promise<string | undefined> {
    if (!this.gitServer) {
      return branch === repo.defaultBranch || repo.parent ? fakeSha(`${repo.id}:${branch}`) : undefined
    }
    const gitDir = join(this.gitServer.root, `${repo.owner.login}/${repo.name}.git`)
    const res = await runGit(['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`], {
      gitDir,
      successExitCodes: [0, 1, 128],
    })
    return res.exitCode === 0 ? res.stdout.trim() : undefined
  }

  /** Whether `head` adds nothing to `base` (GitHub: "No commits between …"). */
  async noCommitsBetween(
    base: DoubleRepo,
    baseSha: string,
    head: DoubleRepo,
    headSha: string,
  ): Promise<boolean> {
    if (!this.gitServer) return baseSha === headSha
    if (baseSha === headSha) return true
    if (base !== head) return false
    const gitDir = join(this.gitServer.root, `${base.owner.login}/${base.name}.git`)
    const res = await runGit(['merge-base', '--is-ancestor', headSha, baseSha], {
      gitDir,
      successExitCodes: [0, 1],
    })
    return res.exitCode === 0
  }

  addPull(p: Omit<PullState, 'id' | 'number' | 'createdAt' | 'state'>): PullState {
    const number = this.pulls.filter((x) => x.base.repo === p.base.repo).length + 1
    const pull: PullState = {
      ...p,
      id: this.id(),
      number,
      state: 'open',
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }
    this.pulls.push(pull)
    return pull
  }
}

function fakeSha(seed: string): string {
  let h = 0
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0
  return h.toString(16).padStart(8, '0').repeat(5)
}
