import { AppError } from '../errors'

/**
 * Turns what `git clone` printed (already redacted) into an error a user can act on.
 */
export function cloneError(
  stderr: string,
  ctx: { url: string; branch?: string; hasToken: boolean },
): AppError {
  const text = stderr.toLowerCase()
  const detail = lastFatal(stderr)
  const details = detail ? { git: detail } : undefined

  if (ctx.branch && /remote branch .* not found/.test(text)) {
    return new AppError('git_failed', `Branch "${ctx.branch}" was not found in ${ctx.url}.`, {
      hint: 'Check the branch name, or leave it empty to clone the default branch.',
      details,
    })
  }
  if (
    /could not read (username|password)/.test(text) ||
    /authentication failed/.test(text) ||
    /returned error: (401|403)/.test(text) ||
    /permission denied \(publickey/.test(text) ||
    /host key verification failed/.test(text)
  ) {
    const hint = ctx.hasToken
      ? 'The server refused the token. Check that it is valid, not expired, and has access to this repository.'
      : 'The repository needs authentication (or does not exist). Set a GitHub token in settings, or check the URL.'
    return new AppError('auth_failed', `Authentication to ${ctx.url} failed.`, { hint, details })
  }
  if (
    /repository .* not found/.test(text) ||
    /returned error: 404/.test(text) ||
    /does not appear to be a git repository/.test(text) ||
    /not found: did you run git update-server-info/.test(text)
  ) {
    return new AppError('git_failed', `Repository ${ctx.url} was not found.`, {
      hint: 'Check the URL. A private repository also needs a token with access to it.',
      details,
    })
  }
  // The server went away mid-transfer (curl's "transfer closed", git's "early EOF").
  if (/rpc failed|transfer closed|early eof|invalid index-pack output|unexpected disconnect/.test(text)) {
    return new AppError('git_failed', `The clone of ${ctx.url} was cut off before it finished.`, {
      hint: 'The server closed the connection mid-transfer; nothing was imported. Try again once it is reachable.',
      details,
    })
  }
  if (
    /could not resolve host|failed to connect|connection refused|timed out|network is unreachable/.test(text)
  ) {
    return new AppError('git_failed', `Could not reach the server for ${ctx.url}.`, {
      hint: 'Check your network connection and the host name in the URL.',
      details,
    })
  }
  if (/no space left on device/.test(text)) {
    return new AppError('disk_full', 'The disk is full.', { hint: 'Free some disk space and try again.' })
  }
  return new AppError('git_failed', `Cloning ${ctx.url} failed${detail ? `: ${detail}` : '.'}`, {
    hint: 'Check the URL and branch, then try again.',
    details,
  })
}

function lastFatal(stderr: string): string {
  const lines = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean)
  const fatal = lines.filter((l) => l.startsWith('fatal:') || l.startsWith('error:'))
  return (fatal[fatal.length - 1] ?? lines[lines.length - 1] ?? '').slice(0, 500)
}
