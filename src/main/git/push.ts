import { resolve } from 'node:path'
import { AppError } from '../errors'
import { checkBranchName } from './branch-name'
import { gitFailed, runGit, type GitOptions } from './git'
import { isNameTaken, pushError } from './push-errors'
import { basicAuthHeader, redactSecrets } from './redact'
import { borrowObjects } from './source-tree'
import { isObjectId } from './tree-entries'

/**
 * Publishing the accepted tree as a new branch on the remote the task was cloned from (or a fork). The
 * tree is the source commit's with the accepted changes carried onto it (treeOnSource), not the workspace's.
 *
 * The commit is made in the clone's own git directory (`upstreamDir`, shallow, outside the workspace),
 * whose object store borrows the task's objects (an alternate), with the parent the task started from.
 * The token goes only into a per-command `http.extraHeader`, passed in git's environment
 * (GIT_CONFIG_COUNT/KEY/VALUE, as the import does): never in a URL, a config file or a message.
 * A taken branch name gets a suffix (-2, -3, …); a retry whose branch already holds the commit pushes nothing.
 */
export interface PushBranchOptions {
  upstreamDir: string
  gitDir: string
  tree: string
  parent: string
  message: string
  author: { name: string; email: string }
  remoteUrl: string
  token?: string
  branch: string
  reuse?: { branch: string; commit: string }
  /**
   * Told the branch and commit just before they are pushed: a caller that records them can reuse them
   * when the push is cut off after it reached the remote (the retry then pushes nothing, makes no `-2`).
   */
  beforePush?: (attempt: { branch: string; commit: string }) => Promise<void>
  signal?: AbortSignal
}

export interface PushBranchResult {
  branch: string
  commit: string
  /** false when the remote branch already held the commit (a retry). */
  pushed: boolean
}

const MAX_SUFFIX = 50

export async function pushBranch(opts: PushBranchOptions): Promise<PushBranchResult> {
  if (!isObjectId(opts.tree) || !isObjectId(opts.parent)) {
    throw new AppError('invalid_input', 'The tree or the parent commit to push is not valid.')
  }
  if (!opts.remoteUrl || opts.remoteUrl.startsWith('-')) {
    throw new AppError('invalid_input', 'The remote to push to is not valid.')
  }
  const wanted = await checkBranchName(opts.branch)
  const secrets = opts.token ? [opts.token] : []
  const local: GitOptions = { gitDir: resolve(opts.upstreamDir), signal: opts.signal, secrets }
  const remote: GitOptions = { ...local, env: authEnv(opts.token) }
  const ctx = { remote: redactSecrets(opts.remoteUrl, secrets), hasToken: Boolean(opts.token) }

  try {
    await borrowObjects(resolve(opts.upstreamDir), resolve(opts.gitDir))
    const heads = await remoteHeads(opts.remoteUrl, remote, ctx, wanted)
    const reused = opts.reuse && (await reusable(opts, local)) ? opts.reuse.commit : undefined
    if (reused && opts.reuse && heads.get(opts.reuse.branch) === reused) {
      return { branch: opts.reuse.branch, commit: reused, pushed: false }
    }
    const commit = reused ?? (await makeCommit(opts, local))
    const first = reused && opts.reuse && !heads.has(opts.reuse.branch) ? opts.reuse.branch : wanted
    for (let n = 1; n <= MAX_SUFFIX; n++) {
      const branch = n === 1 ? first : `${wanted}-${n}`
      const there = heads.get(branch)
      if (there === commit) return { branch, commit, pushed: false }
      if (there !== undefined) continue
      await opts.beforePush?.({ branch, commit })
      const outcome = await push(opts.remoteUrl, commit, branch, remote, { ...ctx, branch }, opts.token)
      if (outcome === 'pushed') return { branch, commit, pushed: true }
    }
    throw new AppError(
      'conflict',
      `Branches ${wanted} to ${wanted}-${MAX_SUFFIX} are all taken on ${ctx.remote}.`,
      {
        hint: 'Choose another branch name.',
      },
    )
  } catch (err) {
    throw gitFailed(err, 'Could not push the branch')
  }
}

/** GitHub style Basic auth for this one git process; nothing is written anywhere. */
function authEnv(token: string | undefined): Record<string, string> {
  if (!token) return {}
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: basicAuthHeader(token),
  }
}

async function remoteHeads(
  url: string,
  git: GitOptions,
  ctx: { remote: string; hasToken: boolean },
  branch: string,
): Promise<Map<string, string>> {
  const res = await runGit(['ls-remote', '--heads', url], { ...git, successExitCodes: [0, 2, 128] })
  if (res.exitCode === 128) throw pushError(redactSecrets(res.stderr, git.secrets), '', { ...ctx, branch })
  const heads = new Map<string, string>()
  for (const line of res.stdout.split('\n')) {
    const [sha, ref] = line.split('\t')
    if (sha && ref?.startsWith('refs/heads/')) heads.set(ref.slice('refs/heads/'.length), sha)
  }
  return heads
}

/** A previous attempt's commit can be pushed again when it holds this very tree on this very parent. */
async function reusable(opts: PushBranchOptions, git: GitOptions): Promise<boolean> {
  const commit = opts.reuse?.commit ?? ''
  if (!isObjectId(commit)) return false
  const res = await runGit(['show', '-s', '--format=%T %P', commit, '--'], {
    ...git,
    successExitCodes: [0, 128],
  })
  return res.exitCode === 0 && res.stdout.trim() === `${opts.tree} ${opts.parent}`
}

async function makeCommit(opts: PushBranchOptions, git: GitOptions): Promise<string> {
  const parent = await runGit(['cat-file', '-e', `${opts.parent}^{commit}`], {
    ...git,
    successExitCodes: [0, 1, 128],
  })
  if (parent.exitCode !== 0) {
    throw new AppError('git_failed', 'The commit the task started from is missing from its clone.', {
      hint: 'Start a new task from the repository.',
    })
  }
  const who = { name: opts.author.name.trim(), email: opts.author.email.trim() }
  const env = {
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
  }
  const res = await runGit(['commit-tree', opts.tree, '-p', opts.parent, '-F', '-'], {
    ...git,
    env,
    input: opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`,
  })
  return res.stdout.trim()
}

type PushOutcome = 'pushed' | 'taken'

async function push(
  url: string,
  commit: string,
  branch: string,
  git: GitOptions,
  ctx: { remote: string; branch: string; hasToken: boolean },
  token: string | undefined,
): Promise<PushOutcome> {
  const ref = `refs/heads/${branch}`
  const args = ['push', '--porcelain', '--no-verify', '--no-signed', url, `${commit}:${ref}`]
  const res = await runGit(args, { ...git, successExitCodes: [0, 1, 128] })
  const stderr = redactSecrets(res.stderr, [token])
  const line = res.stdout.split('\n').find((l) => l.split('\t')[1] === `${commit}:${ref}`)
  const flag = line?.charAt(0)
  if (res.exitCode === 0 && (flag === '*' || flag === ' ' || flag === '+' || flag === '=')) return 'pushed'
  const reason = redactSecrets(line?.split('\t')[2] ?? '', [token])
  if (flag === '!' && isNameTaken(reason) && !/protected|gh006/i.test(stderr)) return 'taken'
  throw pushError(stderr, reason, ctx)
}
