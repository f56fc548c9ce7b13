import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GitServer } from './git-server'
import { DoubleState, type DoubleRepo, type RepoSpec } from './github-double-state'
import { ROUTES, type Reply, type Route } from './github-double-routes'
import { basicError, type PullState } from './github-factories'
import { checkRequest, checkResponse } from './github-openapi'

/**
 * An honest double of GitHub's REST API on 127.0.0.1 (node:http). It serves GET /user, GET /user/repos,
 * GET /repos/{o}/{r}, POST /repos/{o}/{r}/forks and GET/POST /repos/{o}/{r}/pulls, and checks every
 * request (path, query, body) and every response it sends against GitHub's published OpenAPI description.
 * A mismatch is answered 500 with the reason and recorded in `violations` (tests assert it stays empty).
 * With a git server, repositories are real bare repos there: clone_url points at them, POST /pulls checks
 * the branches exist, and a fork copies the bare repo under the token owner's name.
 */
export interface GitHubDoubleOptions {
  token: string
  gitServer?: GitServer
  /** The token owner's login (default 'octocat'). */
  login?: string
  /** The token's classic OAuth scopes (sent as X-OAuth-Scopes); omit for a fine-grained token. */
  scopes?: string[]
  /** A new fork answers GET /repos 404 this many times before it exists (default 1). */
  forkReadyAfter?: number
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
  authorized: boolean
  status: number
}

export interface GitHubDouble {
  baseUrl: string
  login: string
  addRepo(spec: RepoSpec): Promise<DoubleRepo>
  /** An open pull request made outside the client under test (e.g. by a concurrent retry). */
  addPull(spec: {
    owner: string
    repo: string
    head: string
    base: string
    title: string
  }): Promise<PullState>
  pulls: PullState[]
  forks: DoubleRepo[]
  requests: RecordedRequest[]
  violations: string[]
  /** The next request (or the next matching one) gets this response instead (it is still schema-checked). */
  failNext(status: number, body: unknown, headers?: Record<string, string>, match?: Match): void
  /** Runs `fn` just before the next matching request is handled (to stage races). */
  beforeNext(match: Match, fn: () => Promise<void> | void): void
  setRateLimit(limit: { remaining: number; reset: number }): void
  close(): Promise<void>
}

export interface Match {
  method?: string
  /** The request's path, e.g. /repos/o/r/pulls. */
  path?: string
}

interface Hook {
  match: Match
  run(): Promise<Reply | undefined>
}

export async function startGitHubDouble(opts: GitHubDoubleOptions): Promise<GitHubDouble> {
  const login = opts.login ?? 'octocat'
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const hooks: Hook[] = []
  const rate = { limit: 5000, remaining: 5000, reset: Math.floor(Date.now() / 1000) + 3600 }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = (req.method ?? 'GET').toUpperCase()
    const raw = await readBody(req)
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      authorized: authorized(req, opts.token),
      status: 0,
    }
    requests.push(recorded)
    const send = (reply: Reply, route?: Route): void => {
      recorded.status = reply.status
      const headers: Record<string, string> = {
        'content-type': 'application/json; charset=utf-8',
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': randomUUID(),
        'x-ratelimit-limit': String(rate.limit),
        'x-ratelimit-remaining': String(rate.remaining),
        'x-ratelimit-reset': String(rate.reset),
        'x-ratelimit-used': String(rate.limit - rate.remaining),
        'x-ratelimit-resource': 'core',
      }
      if (opts.scopes && recorded.authorized) headers['x-oauth-scopes'] = opts.scopes.join(', ')
      if (route && recorded.authorized) headers['x-accepted-oauth-scopes'] = route.accepted.join(', ')
      for (const [k, v] of Object.entries(reply.headers ?? {})) headers[k.toLowerCase()] = v
      res.writeHead(reply.status, headers)
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
    }
    const violation = (what: string, problems: string[]): void => {
      const reason = `${method} ${url.pathname}: ${what}: ${problems.join('; ')}`
      violations.push(reason)
      send({ status: 500, body: { message: `OpenAPI violation: ${reason}` } })
    }

    const found = matchRoute(method, url.pathname)
    if (!found) {
      violations.push(`${method} ${url.pathname}: not an endpoint the double serves`)
      send({ status: 404, body: basicError('Not Found', 404) })
      return
    }
    const { route, params } = found
    let body: unknown
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        violation('request', ['the body is not JSON'])
        return
      }
    }
    recorded.body = body
    const requestProblems = checkRequest({
      method,
      path: route.path,
      pathParams: params,
      query: url.searchParams,
      body,
    })
    if (requestProblems.length > 0) return violation('request', requestProblems)

    let reply: Reply | undefined
    if (!recorded.authorized) {
      const message = req.headers.authorization ? 'Bad credentials' : 'Requires authentication'
      reply = { status: 401, body: basicError(message, 401) }
    }
    const hookAt = reply ? -1 : hooks.findIndex((h) => matches(h.match, method, url.pathname))
    if (hookAt >= 0) {
      const [hook] = hooks.splice(hookAt, 1)
      reply = await hook?.run()
    }
    if (!reply && rate.remaining <= 0) {
      const message = `API rate limit exceeded for user ID ${state.user.id}.`
      reply = { status: 403, body: basicError(message, 403) }
    }
    if (!reply) {
      rate.remaining--
      reply = await route.handle({ state, params, query: url.searchParams, body, scopes: opts.scopes })
    }
    const responseProblems = checkResponse(method, route.path, reply.status, reply.body)
    if (responseProblems.length > 0) return violation(`response ${reply.status}`, responseProblems)
    send(reply, route)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const reason = `${req.method} ${req.url}: double crashed: ${err instanceof Error ? err.message : String(err)}`
      violations.push(reason)
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ message: reason }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const state = new DoubleState(baseUrl, login, opts.gitServer, opts.forkReadyAfter ?? 1)
  const world = state

  return {
    baseUrl,
    login,
    addRepo: (spec) => world.addRepo(spec),
    addPull: async (spec) => {
      const repo = world.find(spec.owner, spec.repo)
      if (!repo) throw new Error(`no repository ${spec.owner}/${spec.repo}`)
      const sha = (await world.branchSha(repo, spec.head)) ?? '0'.repeat(40)
      const baseSha = (await world.branchSha(repo, spec.base)) ?? '0'.repeat(40)
      return world.addPull({
        base: { repo, ref: spec.base, sha: baseSha },
        head: { repo, ref: spec.head, sha },
        user: world.user,
        title: spec.title,
        body: null,
        draft: false,
        maintainerCanModify: false,
      })
    },
    pulls: world.pulls,
    forks: world.forks,
    requests,
    violations,
    failNext: (status, body, headers, match = {}) =>
      hooks.push({ match, run: async () => ({ status, body, headers }) }),
    beforeNext: (match, fn) =>
      hooks.push({
        match,
        run: async () => {
          await fn()
          return undefined
        },
      }),
    setRateLimit: (limit) => Object.assign(rate, limit),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function matchRoute(
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  const segments = pathname.split('/').slice(1)
  for (const route of ROUTES) {
    if (route.method !== method) continue
    const template = route.path.split('/').slice(1)
    if (template.length !== segments.length) continue
    const params: Record<string, string> = {}
    const ok = template.every((t, i) => {
      const seg = decodeURIComponent(segments[i] ?? '')
      if (t.startsWith('{') && t.endsWith('}')) {
        params[t.slice(1, -1)] = seg
        return true
      }
      return t === seg
    })
    if (ok) return { route, params }
  }
  return undefined
}

function matches(m: Match, method: string, path: string): boolean {
  return (!m.method || m.method.toUpperCase() === method) && (!m.path || m.path === path)
}

function authorized(req: IncomingMessage, token: string): boolean {
  const [scheme = '', value = ''] = (req.headers.authorization ?? '').split(/\s+/, 2)
  return (scheme.toLowerCase() === 'token' || scheme.toLowerCase() === 'bearer') && value === token
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
