import { AppError } from '../errors'

/**
 * Turns what `git push` (or `ls-remote` before it) printed, already redacted, into an error a user can
 * act on: what the remote said, and what to do about it. GitHub's messages are matched by their text
 * (GH006 protected branch, the `workflow` scope, rate limits); any other hook's words are passed on.
 */
export interface PushContext {
  remote: string
  branch: string
  hasToken: boolean
}

/** The `remote:` lines of git's output: what the server said, in its words. */
export function remoteLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n|\r/)
    .filter((l) => l.startsWith('remote:'))
    .map((l) => l.slice('remote:'.length).trim())
    .filter(
      (l) => l && !/^-+$/.test(l) && !/^(Resolving deltas|Counting objects|Compressing objects)/.test(l),
    )
    .slice(0, 12)
}

/** The branch name is taken on the remote (a race with someone else): try the next name. */
export function isNameTaken(reason: string): boolean {
  return /fetch first|non-fast-forward|already exists|stale info/i.test(reason)
}

export function pushError(stderr: string, reason: string, ctx: PushContext): AppError {
  const said = remoteLines(stderr)
  const text = `${stderr}\n${reason}`.toLowerCase()
  const saidText = said.join(' ').slice(0, 600)
  const details: Record<string, unknown> = { remote: ctx.remote, branch: ctx.branch }
  if (said.length) details.remoteMessage = said.join('\n').slice(0, 2000)
  if (reason) details.reason = reason.slice(0, 500)
  const where = `branch "${ctx.branch}" on ${ctx.remote}`

  if (/gh006|protected branch/.test(text)) {
    return new AppError('git_failed', `The remote refused the push to ${where}: the branch is protected.`, {
      hint: 'Choose another branch name, or ask a repository admin about the branch protection rules.',
      details,
    })
  }
  if (/without `?workflow`? scope|workflows? permission|create or update workflow/.test(text)) {
    return new AppError(
      'auth_failed',
      `The remote refused the push to ${where}: the token may not change workflow files (.github/workflows).`,
      {
        hint: 'Give the token the `workflow` scope (or the Workflows write permission), or exclude the workflow files from the change.',
        details,
      },
    )
  }
  if (/rate limit|too many requests|returned error: 429|\b429\b/.test(text)) {
    return new AppError('git_failed', `The remote refused the push to ${where}: rate limit exceeded.`, {
      hint: 'Wait a few minutes, then publish again.',
      details,
    })
  }
  if (
    /could not read (username|password)|authentication failed|invalid username or password/.test(text) ||
    /returned error: 401|\b401\b|bad credentials/.test(text)
  ) {
    return new AppError('auth_failed', `Authentication to ${ctx.remote} failed while pushing.`, {
      hint: ctx.hasToken
        ? 'The server refused the token: check in Settings that it is valid, not expired, and can write to this repository.'
        : 'Pushing needs a token: add a GitHub token in Settings.',
      details,
    })
  }
  if (
    /permission to .* denied|returned error: 403|\b403\b|write access .* not granted|permission denied/.test(
      text,
    )
  ) {
    return new AppError('auth_failed', `You may not push to ${ctx.remote}.`, {
      hint: 'Give the token write access to this repository (contents: write), or open the pull request from a fork.',
      details,
    })
  }
  if (
    /could not resolve host|failed to connect|connection refused|timed out|network is unreachable|connection reset/.test(
      text,
    )
  ) {
    return new AppError('git_failed', `Could not reach ${ctx.remote} to push.`, {
      hint: 'Check your network connection, then publish again: nothing was changed.',
      details,
    })
  }
  if (/no space left on device/.test(text)) {
    return new AppError('disk_full', 'The disk is full.', { hint: 'Free some disk space and try again.' })
  }
  if (isNameTaken(reason)) {
    return new AppError('conflict', `The ${where} already exists.`, {
      hint: 'Choose another branch name.',
      details,
    })
  }
  const why = saidText || reason || lastError(stderr)
  return new AppError('git_failed', `The remote rejected the push to ${where}${why ? `: ${why}` : '.'}`, {
    hint: 'Read the reason from the remote; your changes are kept, so you can publish again once it is fixed.',
    details,
  })
}

function lastError(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('fatal:') || l.startsWith('error:'))
  return (lines[lines.length - 1] ?? '').slice(0, 500)
}
