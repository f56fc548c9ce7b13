/**
 * Which GitHub repository a Git URL names, if it is on the GitHub the API belongs to:
 * https://github.com/o/r(.git), git@github.com:o/r.git, ssh://git@github.com(:22)/o/r(.git).
 * For api.github.com that host is github.com; for any other API URL (GitHub Enterprise at
 * https://HOST/api/v3, api.SUBDOMAIN.ghe.com, a local double) it is the API's host name, minus a
 * leading "api.". Ports are not compared (a test double and its git server share 127.0.0.1).
 */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const REPO = /^[A-Za-z0-9._-]{1,100}$/

export function gitHubRepoOf(url: string, apiBaseUrl: string): { owner: string; repo: string } | undefined {
  const host = webHost(apiBaseUrl)
  if (!host) return undefined
  const trimmed = url.trim()
  const scp = /^([A-Za-z0-9._-]+)@([^:/\s]+):(?!\/)(.+)$/.exec(trimmed)
  if (scp)
    return scp[2]?.toLowerCase() === host || isDotCom(host, scp[2]) ? ownerRepo(scp[3] ?? '') : undefined
  let parsed: URL
  try {
    parsed = new URL(trimmed)
  } catch {
    return undefined
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(parsed.protocol)) return undefined
  const h = parsed.hostname.toLowerCase()
  if (h !== host && !isDotCom(host, h)) return undefined
  return ownerRepo(decodeURIComponent(parsed.pathname))
}

function webHost(apiBaseUrl: string): string | undefined {
  try {
    const h = new URL(apiBaseUrl).hostname.toLowerCase()
    return h.startsWith('api.') ? h.slice(4) : h
  } catch {
    return undefined
  }
}

function isDotCom(host: string, other: string | undefined): boolean {
  return host === 'github.com' && other?.toLowerCase() === 'www.github.com'
}

function ownerRepo(path: string): { owner: string; repo: string } | undefined {
  const parts = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/')
  if (parts.length !== 2) return undefined
  const owner = parts[0] ?? ''
  const repo = (parts[1] ?? '').replace(/\.git$/, '')
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..') return undefined
  return { owner, repo }
}
