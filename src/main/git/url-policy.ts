import { AppError } from '../errors'

/**
 * Which Git URLs and branch names we hand to git. Everything is decided here, before git runs:
 * only https://, ssh:// and scp-like user@host:path (plus http://127.0.0.1|localhost when allowed).
 */
export interface UrlPolicy {
  allowLocalHttp: boolean
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost'])
// Host names and IPv4; IPv6 literals in brackets.
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/i
const USER = /^[a-z0-9_][a-z0-9._-]*$/i
const SCP_LIKE = /^([^@/:]+)@([^/:]+):(.+)$/
const SCP_PATH = /^[a-z0-9._~][a-z0-9._~/-]*$/i
// Things that look like GitHub tokens must never sit in a URL (they would be logged).
const TOKEN_LIKE = /^(gh[pousr]_|github_pat_)/i

const refuse = (message: string, hint?: string): AppError =>
  new AppError('unsafe_url', message, {
    hint: hint ?? 'Use an https:// URL, an ssh:// URL or git@host:owner/repo.git.',
  })

/** Returns the URL to clone (normalized), or throws AppError('unsafe_url'). */
export function validateGitUrl(input: string, policy: UrlPolicy): string {
  if (typeof input !== 'string' || input.length === 0) throw refuse('The Git URL is empty.')
  if (input.length > 2048) throw refuse('The Git URL is too long.')
  // Control characters (incl. DEL and C1) and any whitespace: never part of a URL we accept.
  if (hasControlOrSpace(input) || /[\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/.test(input)) {
    throw refuse('The Git URL contains whitespace or control characters.')
  }
  if (input.startsWith('-')) throw refuse('The Git URL must not start with "-".')
  if (/^[a-z0-9+.-]+::/i.test(input)) {
    throw refuse(`Git remote helpers ("${input.split('::')[0]}::") are not allowed.`)
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase()
  if (scheme) return validateSchemeUrl(input, scheme, policy)
  const scp = SCP_LIKE.exec(input)
  if (scp) return validateScpLike(scp[1] ?? '', scp[2] ?? '', scp[3] ?? '')
  throw refuse('Local paths and other URL forms are not allowed.')
}

function validateSchemeUrl(input: string, scheme: string, policy: UrlPolicy): string {
  if (scheme === 'file') throw refuse('file:// URLs are not allowed.')
  if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'http') {
    throw refuse(`The "${scheme}://" protocol is not allowed.`)
  }
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw refuse('The Git URL is not a valid URL.')
  }
  const host = url.hostname.toLowerCase()
  if (!host || !HOST.test(host)) throw refuse('The Git URL has no valid host name.')
  if (url.search || url.hash) throw refuse('The Git URL must not have a query or fragment.')
  if (url.pathname === '' || url.pathname === '/') throw refuse('The Git URL has no repository path.')
  if (scheme === 'http') {
    if (!policy.allowLocalHttp || !LOCAL_HOSTS.has(host)) {
      throw refuse(
        'Plain http:// URLs are not allowed.',
        'Use https://. (http is accepted only for 127.0.0.1 and localhost when the setting allows it.)',
      )
    }
  }
  if (url.password) {
    throw refuse(
      'The Git URL contains a password.',
      'Remove it from the URL and put your token in the GitHub token setting instead.',
    )
  }
  if (url.username) {
    const user = decodeURIComponent(url.username)
    if (TOKEN_LIKE.test(user)) {
      throw refuse(
        'The Git URL contains a token.',
        'Remove it from the URL and put your token in the GitHub token setting instead.',
      )
    }
    if (!USER.test(user)) throw refuse('The Git URL has an invalid user name.')
  }
  return url.href
}

function validateScpLike(user: string, host: string, path: string): string {
  if (!USER.test(user)) throw refuse('The Git URL has an invalid user name.')
  if (TOKEN_LIKE.test(user)) throw refuse('The Git URL contains a token.')
  if (!HOST.test(host) || host.startsWith('[')) throw refuse('The Git URL has no valid host name.')
  if (!SCP_PATH.test(path) || path.split('/').includes('..')) {
    throw refuse('The repository path in the Git URL is not valid.')
  }
  return `${user}@${host.toLowerCase()}:${path}`
}

/**
 * Branch names as `git check-ref-format --branch` accepts them, minus anything that could be read
 * as an option. Throws AppError('invalid_input').
 */
export function validateBranch(branch: string): string {
  const bad = (why: string): AppError =>
    new AppError('invalid_input', `"${printable(branch)}" is not a valid branch name: ${why}.`, {
      hint: 'Check the branch name, or leave it empty to use the default branch.',
    })
  if (branch.length === 0) throw bad('it is empty')
  if (branch.length > 255) throw bad('it is too long')
  if (branch.startsWith('-')) throw bad('it starts with "-"')
  if (hasControlOrSpace(branch) || /[~^:?*[\\]/.test(branch)) throw bad('it contains a forbidden character')
  if (branch === '@' || branch.includes('@{')) throw bad('it contains "@{" or is "@"')
  if (branch.includes('..')) throw bad('it contains ".."')
  if (branch.startsWith('/') || branch.endsWith('/') || branch.includes('//'))
    throw bad('it has an empty component')
  if (branch.endsWith('.')) throw bad('it ends with "."')
  for (const part of branch.split('/')) {
    if (part.startsWith('.')) throw bad('a component starts with "."')
    if (part.endsWith('.lock')) throw bad('a component ends with ".lock"')
  }
  return branch
}

/** C0 controls, space, DEL, C1 controls and no-break space. */
function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0x20 || (c >= 0x7f && c <= 0xa0)) return true
  }
  return false
}

const printable = (s: string): string =>
  [...s.slice(0, 80)].map((ch) => (hasControlOrSpace(ch) && ch !== ' ' ? '?' : ch)).join('')
