import { Octokit } from '@octokit/rest'

/**
 * The one way the engine talks to GitHub: an Octokit bound to a token and an API base URL
 * (https://api.github.com, GitHub Enterprise's https://HOST/api/v3, or a local double in tests).
 * The token lives only inside Octokit's auth hook; it is never copied into this object, messages or logs.
 */
export interface GitHub {
  readonly octokit: Octokit
  readonly baseUrl: string
}

/** No request may hang forever: each one is aborted after this long. */
const REQUEST_TIMEOUT_MS = 30_000

export function createGitHub(opts: { token: string; baseUrl: string; timeoutMs?: number }): GitHub {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '')
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS
  const octokit = new Octokit({
    auth: opts.token,
    baseUrl,
    userAgent: 'codex-sys',
    // Octokit logs warnings (deprecations) to the console by default; keep it quiet and token-free.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    request: {
      fetch: (url: string | URL, init?: RequestInit) =>
        fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) }),
    },
  })
  return { octokit, baseUrl }
}
