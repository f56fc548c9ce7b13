import { KeyedLock } from '../util/keyed-lock'

/**
 * One git operation at a time per git directory, within this process: the diff stages into the task's
 * one diff index (`codex-diff.index`), and two diffs at once would collide on its lock file. Callers
 * for other git directories never wait for each other. A failure of one call does not affect the next.
 */
const perGitDir = new KeyedLock()

export function serializePerGitDir<T>(gitDir: string, run: () => Promise<T>): Promise<T> {
  return perGitDir.run(gitDir, run)
}
