import { AppError } from '../errors'
import { runGit } from './git'

/** A branch name git accepts (`git check-ref-format --branch`), trimmed; AppError('invalid_input') otherwise. */
export async function checkBranchName(branch: string): Promise<string> {
  const name = branch.trim()
  const res = name.startsWith('-')
    ? undefined
    : await runGit(['check-ref-format', '--branch', name], { successExitCodes: [0, 1, 128] })
  if (!name || !res || res.exitCode !== 0 || res.stdout.trim() !== name) {
    throw new AppError('invalid_input', `"${name}" is not a valid branch name.`, {
      hint: 'Use letters, digits, and . _ / - (no spaces, no "..").',
    })
  }
  return name
}
