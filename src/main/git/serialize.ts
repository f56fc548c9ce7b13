/**
 * One git operation at a time per git directory, within this process: the diff stages into the task's
 * one diff index (`codex-diff.index`), and two diffs at once would collide on its lock file. Callers
 * for other git directories never wait for each other. A failure of one call does not affect the next.
 */
const tails = new Map<string, Promise<unknown>>()

export function serializePerGitDir<T>(gitDir: string, run: () => Promise<T>): Promise<T> {
  const previous = tails.get(gitDir) ?? Promise.resolve()
  const result = previous.then(run, run)
  const tail = result.then(
    () => undefined,
    () => undefined,
  )
  tails.set(gitDir, tail)
  void tail.then(() => {
    if (tails.get(gitDir) === tail) tails.delete(gitDir)
  })
  return result
}
