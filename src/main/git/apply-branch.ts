import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../errors'
import { assertSafeChanges } from './safe-changes'
import { NULL_SHA } from './diff-parse'
import { checkBranchName } from './branch-name'
import { gitFailed, runGit, type GitOptions } from './git'
import { baseEntries, changedOnBase, treeWithChanges } from './carry'
import type { Change } from './tree-entries'

/**
 * 'branch' mode of applying to a folder that is (inside) a git repository: a new branch from HEAD whose
 * commit holds HEAD's tree plus the change, made with plumbing only (a temporary index, the objects
 * copied in as a pack, write-tree, commit-tree, a create-only update-ref), hooks off. The working tree,
 * the index and the current branch are never touched. Refused when HEAD's version of a touched file is
 * not the baseline's. Only the touched paths change, keeping HEAD's modes where the change did not
 * change one (see carry.ts).
 */
export interface ApplyBranchOptions {
  folder: string
  gitDir: string
  changes: Change[]
  branch?: string
  author: { name: string; email: string }
  message?: string
}

const MAX_SUFFIX = 50

export async function applyOnBranch(
  opts: ApplyBranchOptions,
): Promise<{ written: string[]; branch: string; commit: string }> {
  // Also checked by applyToFolder; here too so that no caller can skip it.
  assertSafeChanges(opts.changes)
  const repo = await findRepo(opts.folder)
  const git: GitOptions = { gitDir: repo.gitDir, cwd: repo.top }
  const base = opts.branch?.trim() || `ai-changes-${stamp()}`
  const wanted = await checkBranchName(base)
  const scratch = await mkdtemp(join(tmpdir(), 'codex-apply-'))
  try {
    const head = await runGit(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], {
      ...git,
      successExitCodes: [0, 1],
    })
    if (head.exitCode !== 0) {
      throw new AppError('invalid_input', `The git repository at ${repo.top} has no commit yet.`, {
        hint: 'Make a first commit there, or apply the files directly.',
      })
    }
    const parent = head.stdout.trim()
    const entries = await baseEntries(
      git,
      parent,
      opts.changes.map((c) => c.path),
      repo.prefix,
    )
    const conflicts = changedOnBase(opts.changes, entries)
    if (conflicts.length > 0) {
      throw new AppError(
        'conflict',
        `These files differ on the current branch from the task's starting point: ${conflicts.slice(0, 20).join(', ')}.`,
        {
          hint: 'Commit or update the branch so these files match what the task started from, or apply the files directly.',
          details: { paths: conflicts },
        },
      )
    }
    await copyObjects(opts.gitDir, git, opts.changes)
    const tree = await treeWithChanges(git, parent, opts.changes, entries, {
      scratchDir: scratch,
      prefix: repo.prefix,
    })
    const who = { name: opts.author.name.trim(), email: opts.author.email.trim() }
    const env = {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
    }
    const message = (opts.message?.trim() || 'Apply changes from codex-sys') + '\n'
    const commit = (
      await runGit(['commit-tree', tree, '-p', parent, '-F', '-'], { ...git, env, input: message })
    ).stdout.trim()
    const branch = await createBranch(git, wanted, commit)
    return { written: opts.changes.map((c) => c.path).sort(), branch, commit }
  } catch (err) {
    throw gitFailed(err, `Could not create a branch in ${repo.top}`)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

async function findRepo(folder: string): Promise<{ top: string; prefix: string; gitDir: string }> {
  const res = await runGit(
    ['rev-parse', '--show-toplevel', '--show-prefix', '--absolute-git-dir', '--show-object-format'],
    {
      cwd: folder,
      successExitCodes: [0, 128],
    },
  ).catch((err: unknown) => {
    throw gitFailed(err, `Could not inspect ${folder}`)
  })
  const [top = '', prefix = '', gitDir = '', format = ''] = res.stdout.split('\n')
  if (res.exitCode !== 0 || !top || !gitDir) {
    throw new AppError('invalid_input', `The folder ${folder} is not inside a git repository.`, {
      hint: 'Apply the files directly instead, or run `git init` there and make a first commit.',
    })
  }
  if (format !== 'sha1') {
    throw new AppError(
      'unsupported',
      `The git repository at ${top} uses ${format} object ids, which is not supported.`,
      {
        hint: 'Apply the files directly instead.',
      },
    )
  }
  return { top, prefix, gitDir }
}

/** The new blobs, from the task's git directory into the repository, as one pack. */
async function copyObjects(taskGitDir: string, git: GitOptions, changes: Change[]): Promise<void> {
  const shas = [...new Set(changes.flatMap((c) => (c.new ? [c.new.sha] : [])))]
  if (shas.length === 0) return
  const pack = await runGit(['pack-objects', '--stdout', '-q'], {
    gitDir: taskGitDir,
    input: shas.join('\n') + '\n',
  })
  await runGit(['unpack-objects', '-q'], { ...git, input: pack.stdoutBuffer ?? Buffer.alloc(0) })
}

/** `name`, or `name-2`, `name-3`, … when taken; created only if still absent (update-ref's zero old value). */
async function createBranch(git: GitOptions, name: string, commit: string): Promise<string> {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const branch = n === 1 ? name : `${name}-${n}`
    const res = await runGit(
      ['update-ref', '-m', 'codex-sys: apply', `refs/heads/${branch}`, commit, NULL_SHA],
      {
        ...git,
        successExitCodes: [0, 128],
      },
    )
    if (res.exitCode === 0) return branch
  }
  throw new AppError('conflict', `Branches ${name} to ${name}-${MAX_SUFFIX} already exist.`, {
    hint: 'Choose another branch name.',
  })
}

function stamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
}
