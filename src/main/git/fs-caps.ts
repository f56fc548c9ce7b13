import { join } from 'node:path'
import { runGit } from './git'

/**
 * What the filesystem under a task's private git directory can represent, as `git init` finds it: it
 * probes the directory it creates (toggles a file's executable bit, tries a symbolic link, looks a name up
 * in another case, and on macOS tries a decomposed Unicode name) and records `core.filemode`,
 * `core.symlinks`, `core.ignorecase` and `core.precomposeunicode` in the new config. The git directory
 * sits beside the workspace in the task's directory, so that is the workspace's filesystem too.
 *
 * Written back into the git directory's config (see baseline.ts), these make git ignore what that
 * filesystem cannot hold, as in any checkout there: with `filemode = false` a file keeps the mode its index
 * entry has (new files are 100644), whatever the disk says (FAT reads every file as 0755, NTFS as 0644);
 * with `symlinks = false` a file holding a link's target stays that link; with `ignorecase = true` a name
 * the disk returns in another case is the same entry. On a Linux filesystem they are all the usual
 * values, so a `chmod +x` or a new link the agent made is staged as such.
 */
export interface FsCaps {
  filemode: boolean
  symlinks: boolean
  ignorecase: boolean
  precomposeunicode: boolean
}

/** The capabilities recorded in `gitDir`'s own config (missing keys: git's defaults). */
export async function readFsCaps(gitDir: string): Promise<FsCaps> {
  const res = await runGit(['config', '--file', join(gitDir, 'config'), '--list'], {
    successExitCodes: [0, 1],
  })
  const values = new Map<string, string>()
  // Later lines win, as in git.
  for (const line of res.stdout.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) values.set(line.slice(0, eq).toLowerCase(), line.slice(eq + 1))
  }
  const flag = (key: string, fallback: boolean): boolean => {
    const v = values.get(`core.${key}`)?.toLowerCase()
    if (v === undefined) return fallback
    return ['true', 'yes', 'on', '1', ''].includes(v)
  }
  return {
    filemode: flag('filemode', true),
    symlinks: flag('symlinks', true),
    ignorecase: flag('ignorecase', false),
    precomposeunicode: flag('precomposeunicode', false),
  }
}

/** The `[core]` lines recording `caps`. */
export function fsCapsConfig(caps: FsCaps): string {
  return [
    `\tfilemode = ${caps.filemode}`,
    `\tsymlinks = ${caps.symlinks}`,
    `\tignorecase = ${caps.ignorecase}`,
    `\tprecomposeunicode = ${caps.precomposeunicode}`,
  ]
    .map((l) => `${l}\n`)
    .join('')
}

/**
 * Arguments placing `core.symlinks` back to the git directory's value for one command: git.ts passes
 * `-c core.symlinks=true` to every command, which wins over any config file, so commands that stage the
 * workspace need this after it (a later `-c` wins).
 */
export async function symlinksArgs(gitDir: string): Promise<string[]> {
  return (await readFsCaps(gitDir)).symlinks ? [] : ['-c', 'core.symlinks=false']
}
