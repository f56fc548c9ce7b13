import { NULL_SHA, parseDiffOutput, type RawEntry } from './diff-parse'
import { runGit, type GitOptions } from './git'

/** Small helpers over git's raw records shared by the publish steps (result tree, apply, export). */

/** One NUL-terminated record for `git update-index -z --index-info`; mode 0 removes the path. */
export function indexInfoRecord(mode: string, sha: string, path: string): string {
  return mode === '0' ? `0 ${NULL_SHA}\t${path}\0` : `${mode} ${sha}\t${path}\0`
}

/** Every path that differs between two tree-ish, one record per path (no rename detection). */
export async function treeChanges(from: string, to: string, opts: GitOptions): Promise<RawEntry[]> {
  const res = await runGit(
    ['diff-tree', '-r', '-z', '--raw', '--no-renames', '--full-index', from, to, '--'],
    {
      ...opts,
      env: { ...opts.env, GIT_LITERAL_PATHSPECS: '1' },
    },
  )
  return parseDiffOutput(res.stdoutBuffer ?? Buffer.alloc(0)).entries
}

/** Checks a commit or tree id given by a caller before it reaches git's command line. */
export function isObjectId(value: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(value)
}

/** A revision (object id or ref name) safe to pass as an argument: never an option. */
export function isRevision(value: string): boolean {
  return value.length > 0 && !value.startsWith('-') && !/[\s\0]/.test(value)
}

/** One touched path: its baseline side (absent when added) and its new side (absent when deleted). */
export interface Change {
  path: string
  old?: { mode: string; sha: string }
  new?: { mode: string; sha: string }
}

/** `git ls-tree` entry types by mode. */
export const isSymlinkMode = (mode: string): boolean => mode === '120000'
export const isExecutableMode = (mode: string): boolean => mode === '100755'
export const isGitlinkMode = (mode: string): boolean => mode === '160000'
