import type { z } from 'zod'
import type { publishInputSchema } from '../../shared/contract'
import type { Settings } from '../../shared/settings'
import type { TaskOutcome, TaskRecord } from '../../shared/task'
import { AppError } from '../errors'
import { applyToFolder } from '../git/apply-folder'
import { exportPatch, exportZip } from '../git/export'
import type { PathProblem } from '../git/path-names'
import { pushBranch } from '../git/push'
import { buildResultTree, type ResultTree } from '../git/result-tree'
import { treeOnSource } from '../git/source-tree'
import { createGitHub, forkRepo, gitHubRepoOf, openPullRequest, repoInfo } from '../github'
import { gitTokenFor } from './git-token'
import { pathExists } from '../util/fs'
import type { TaskStore } from './task-store'
import { rethrowDiskFull } from '../util/disk-full'

export type PublishRequest = z.output<typeof publishInputSchema>

export interface PublishDeps {
  store: TaskStore
  settings: Settings
  githubToken?: string
}

/** The name a published branch starts from: `<prefix>-YYYYMMDD-HHMMSS` (the user may edit it). */
export function defaultBranchName(settings: Settings, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${settings.git.branchPrefix}-${stamp}`
}

/**
 * Turns a reviewed change into what the user asked for — a pull request, a pushed branch, files written
 * into their folder (or a branch there), a patch or a ZIP — from the included files only. The workspace and
 * its diff are never changed, whatever fails.
 */
export async function publish(input: PublishRequest, deps: PublishDeps): Promise<TaskOutcome> {
  const { store } = deps
  const task = store.get(input.id)
  if (task.status !== 'review') {
    throw new AppError('conflict', `Only a task in review can be published; this one is ${task.status}.`)
  }
  if (!task.baselineCommit) throw new AppError('conflict', 'This task has no changes to publish.')
  const paths = store.paths(task.id)
  const result = await buildResultTree({
    gitDir: paths.gitDir,
    workspace: paths.workspace,
    baseline: task.baselineCommit,
    excluded: task.excludedPaths ?? [],
    excludedHunks: task.excludedHunks,
  }).catch(rethrowDiskFull(paths.dir))
  if (!result.files.length && input.kind !== 'export') {
    throw new AppError('invalid_input', 'There is nothing to publish: no changed file is included.', {
      hint: 'Include at least one changed file in the review.',
    })
  }
  const at = new Date().toISOString()
  const author = { name: deps.settings.git.authorName, email: deps.settings.git.authorEmail }
  switch (input.kind) {
    case 'export': {
      // Names unsafe to write on some OS are left out of exports; the outcome lists them.
      let omitted: PathProblem[] = []
      const onOmitted = (paths: PathProblem[]): void => {
        omitted = paths
      }
      const noted = (): Pick<Extract<TaskOutcome, { kind: 'exported' }>, 'omitted'> =>
        omitted.length ? { omitted: omitted.map(({ path, reason }) => ({ path, reason })) } : {}
      if (input.format === 'patch') {
        const patch = await exportPatch({
          gitDir: paths.gitDir,
          baseline: task.baselineCommit,
          tree: result.tree,
          onOmitted,
        })
        await store.writeArtifact(task.id, 'export.patch', patch)
        return {
          kind: 'exported',
          at,
          format: 'patch',
          artifact: 'export.patch',
          bytes: patch.length,
          ...noted(),
        }
      }
      const dest = store.artifactPath(task.id, 'export.zip')
      const bytes = await exportZip({
        gitDir: paths.gitDir,
        baseline: task.baselineCommit,
        tree: result.tree,
        dest,
        onOmitted,
      })
      return { kind: 'exported', at, format: 'zip', artifact: 'export.zip', bytes, ...noted() }
    }
    case 'apply': {
      if (task.source.kind !== 'folder') {
        throw new AppError('invalid_input', 'Only a task started from a folder can be applied to it.', {
          hint: 'Export a .patch or a ZIP instead.',
        })
      }
      const applied = await applyToFolder({
        folder: task.source.path,
        gitDir: paths.gitDir,
        baseline: task.baselineCommit,
        tree: result.tree,
        files: result.files,
        mode: input.mode,
        branch: input.branch ?? defaultBranchName(deps.settings),
        author,
      })
      return {
        kind: 'applied',
        at,
        folder: task.source.path,
        mode: input.mode,
        files: applied.written,
        branch: applied.branch,
        commit: applied.commit,
        ...(applied.warnings?.length ? { warnings: applied.warnings } : {}),
      }
    }
    case 'push':
    case 'pull_request':
      return publishBranch(input, task, result, deps)
  }
}

async function publishBranch(
  input: Extract<PublishRequest, { kind: 'push' | 'pull_request' }>,
  task: TaskRecord,
  result: ResultTree,
  deps: PublishDeps,
): Promise<TaskOutcome> {
  const { store, settings } = deps
  const paths = store.paths(task.id)
  if (task.source.kind !== 'git' || !task.sourceCommit || !(await pathExists(paths.upstream))) {
    throw new AppError('invalid_input', 'Only a task started from a Git URL can be pushed.', {
      hint: 'Export a .patch or a ZIP instead.',
    })
  }
  const onGitHub = gitHubRepoOf(task.source.url, settings.githubApiUrl)
  if (input.kind === 'pull_request' && !onGitHub) {
    throw new AppError('invalid_input', 'Pull requests can be opened only for GitHub repositories.', {
      hint: 'Push the branch instead, and open the pull request on your Git host.',
    })
  }
  // The source commit's tree with the accepted changes only: what the task's disk could not hold (modes,
  // links, names differing in case) stays as the repository has it.
  const tree = await treeOnSource({
    upstreamDir: paths.upstream,
    gitDir: paths.gitDir,
    baseline: task.baselineCommit ?? '',
    tree: result.tree,
    files: result.files,
    source: task.sourceCommit,
  })
  const title = input.kind === 'pull_request' ? input.title : task.title
  const message = `${title}\n\n${task.summary ?? ''}`.trim() + '\n'
  let remoteUrl = task.source.url
  let headOwner: string | undefined
  let base = task.sourceBranch
  let github: ReturnType<typeof createGitHub> | undefined
  if (input.kind === 'pull_request' && onGitHub) {
    if (!deps.githubToken) {
      throw new AppError('auth_failed', 'Opening a pull request needs a GitHub token.', {
        hint: 'Add a GitHub token in Settings (with the `repo` scope, or contents + pull requests access).',
      })
    }
    github = createGitHub({ token: deps.githubToken, baseUrl: settings.githubApiUrl })
    const info = await repoInfo(github, onGitHub.owner, onGitHub.repo)
    base ??= info.defaultBranch
    if (input.fork) {
      const fork = await forkRepo(github, onGitHub.owner, onGitHub.repo)
      remoteUrl = fork.cloneUrl
      headOwner = fork.owner
    } else if (!info.canPush) {
      throw new AppError('conflict', `Your token cannot push to ${info.fullName}.`, {
        hint: 'Open the pull request from your fork instead.',
        details: { canFork: true },
      })
    }
  }
  const previous = task.pendingPublish?.remote === remoteUrl ? task.pendingPublish : undefined
  const pushed = await pushBranch({
    upstreamDir: paths.upstream,
    gitDir: paths.gitDir,
    tree,
    parent: task.sourceCommit,
    message,
    author: { name: settings.git.authorName, email: settings.git.authorEmail },
    remoteUrl,
    token: gitTokenFor(remoteUrl, settings, deps.githubToken),
    branch: previous?.branch ?? input.branch ?? defaultBranchName(settings),
    reuse: previous ? { branch: previous.branch, commit: previous.commit } : undefined,
    // Recorded before the push: an app killed while it ran reuses this branch and commit on the retry.
    beforePush: async (attempt) => {
      await store.update(task.id, { pendingPublish: { remote: remoteUrl, ...attempt } })
    },
  })
  const at = new Date().toISOString()
  if (input.kind === 'push' || !github || !onGitHub) {
    await store.update(task.id, { pendingPublish: undefined })
    return { kind: 'pushed', at, remote: remoteUrl, branch: pushed.branch, commit: pushed.commit }
  }
  // Pushed but not yet a pull request: a retry after a failure from here on reuses this branch.
  await store.update(task.id, {
    pendingPublish: { remote: remoteUrl, branch: pushed.branch, commit: pushed.commit },
  })
  const pr = await openPullRequest(github, {
    owner: onGitHub.owner,
    repo: onGitHub.repo,
    head: headOwner ? `${headOwner}:${pushed.branch}` : pushed.branch,
    base: base ?? 'main',
    title: input.title,
    body: input.body,
    draft: input.draft,
  })
  await store.update(task.id, { pendingPublish: undefined })
  return {
    kind: 'pull_request',
    at,
    url: pr.url,
    number: pr.number,
    repo: `${onGitHub.owner}/${onGitHub.repo}`,
    branch: pushed.branch,
    forked: Boolean(headOwner),
    draft: input.draft,
  }
}
