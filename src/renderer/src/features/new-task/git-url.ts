/**
 * Inline check of a Git URL before submit (the engine validates again, strictly): https://host/path,
 * ssh://[user@]host[:port]/path, or user@host:path; http:// only for 127.0.0.1 / localhost when allowed.
 * Returns what is wrong, or undefined.
 */
export function gitUrlProblem(input: string, opts: { allowLocalHttp: boolean }): string | undefined {
  const url = input.trim()
  if (!url) return 'Enter the repository’s URL.'
  if (/\s/.test(url)) return 'The URL must not contain spaces.'
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (!scheme) {
    const scp = /^([^@/:\s]+)@([^/:\s]+):(.+)$/.exec(url)
    if (scp) return undefined
    return 'Use https://host/owner/repo, ssh://host/owner/repo or git@host:owner/repo.'
  }
  if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'http')
    return `“${scheme}://” URLs are not supported.`
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'This is not a valid URL.'
  }
  if (scheme === 'http') {
    const local = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost'
    if (!local || !opts.allowLocalHttp) return 'Use https:// (plain http:// is not allowed).'
  }
  if (!parsed.hostname) return 'The URL has no host name.'
  if (parsed.pathname === '' || parsed.pathname === '/') return 'The URL has no repository path.'
  if (parsed.password || /^(gh[pousr]_|github_pat_)/i.test(parsed.username)) {
    return 'Remove the credentials from the URL; set a GitHub token in Settings instead.'
  }
  return undefined
}
