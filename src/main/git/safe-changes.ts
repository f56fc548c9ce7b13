import { AppError } from '../errors'
import { describeProblems, unsafePaths } from './path-names'
import { isSymlinkMode, type Change } from './tree-entries'

/**
 * Refuses the whole apply, naming every offending path, when any change would write (or remove) a path
 * that is not safe on some OS (path-names.ts): a .git alias anywhere, and for a path the change adds,
 * also names Windows cannot hold. Nothing has been written when this throws.
 */
export function assertSafeChanges(changes: Change[]): void {
  const problems = unsafePaths(
    changes.map((c) => ({
      path: c.path,
      existing: c.old !== undefined,
      symlink: c.new !== undefined && isSymlinkMode(c.new.mode),
    })),
  )
  if (problems.length === 0) return
  const count = problems.length === 1 ? 'a path' : `${problems.length} paths`
  throw new AppError(
    'invalid_input',
    `Refusing to apply: the change holds ${count} that could reach the folder's .git or cannot be written safely: ${describeProblems(problems)}. Nothing was written.`,
    {
      hint: 'Exclude these files in the review and apply again, or export a .patch instead.',
      details: { paths: problems.map((p) => p.path), problems },
    },
  )
}
