import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile, access } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { runGit } from '../../src/main/git/git'

/**
 * A real git server over HTTP on 127.0.0.1: node:http in front of `git http-backend` (CGI) for the
 * bare repositories under `root`. With a token, every request needs `Authorization: Basic` with the
 * token as password (any user) or `Bearer TOKEN`; otherwise 401. Push is enabled.
 */
export interface GitServerRequest {
  method: string
  url: string
  authorized: boolean
}

export interface GitServer {
  baseUrl: string
  root: string
  /** Creates `<name>.git` (or adds a commit to it) with `files` on `branch` (default 'main'); returns its URL. */
  createRepo(name: string, files: Record<string, string>, opts?: { branch?: string }): Promise<string>
  requests: GitServerRequest[]
  /** The commit `branch` of `<name>.git` points at, or null when there is no such branch. */
  branchTip(name: string, branch: string): Promise<string | null>
  /** From now on, refuse pushes to matching branches (null: accept every push again). */
  rejectPushes(rule: RejectPushRule | null): Promise<void>
  close(): Promise<void>
}

/** A pre-receive hook refusing pushes to branches matching `branches` (an ERE on the name), saying `message`. */
export interface RejectPushRule {
  branches: string
  message: string
}

export interface GitServerOptions {
  token?: string
  /** Hold every response this long (to test cancellation). */
  delayMs?: number
  rejectPushes?: RejectPushRule
}

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend'

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const root = await mkdtemp(join(tmpdir(), 'codex-git-server-'))
  const hooks = await mkdtemp(join(tmpdir(), 'codex-git-hooks-'))
  const requests: GitServerRequest[] = []
  const rejectPushes = (rule: RejectPushRule | null): Promise<void> => writeHook(hooks, rule)
  await rejectPushes(opts.rejectPushes ?? null)

  const server = createServer((req, res) => {
    const authorized = isAuthorized(req, opts.token)
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorized })
    if (!authorized) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' })
      res.end('authentication required\n')
      return
    }
    const run = (): void => {
      try {
        cgi(req, res, root, hooks)
      } catch {
        if (!res.headersSent) res.writeHead(400)
        res.end()
      }
    }
    if (opts.delayMs) setTimeout(run, opts.delayMs)
    else run()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`

  return {
    baseUrl,
    root,
    requests,
    createRepo: async (name, files, repoOpts = {}) => {
      await commitFiles(join(root, `${name}.git`), files, repoOpts.branch ?? 'main')
      return `${baseUrl}/${name}.git`
    },
    branchTip: async (name, branch) => {
      const res = await runGit(['rev-parse', '--verify', '-q', `refs/heads/${branch}`], {
        gitDir: join(root, `${name}.git`),
        successExitCodes: [0, 1],
      })
      return res.exitCode === 0 ? res.stdout.trim() : null
    },
    rejectPushes,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(root, { recursive: true, force: true })
      await rm(hooks, { recursive: true, force: true })
    },
  }
}

function isAuthorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true
  const header = req.headers.authorization ?? ''
  const [scheme = '', value = ''] = header.split(/\s+/, 2)
  if (scheme.toLowerCase() === 'bearer') return value === token
  if (scheme.toLowerCase() !== 'basic') return false
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon >= 0 && decoded.slice(colon + 1) === token
}

/** The server's hooks directory: a pre-receive hook applying `rule`, or none. */
async function writeHook(hooks: string, rule: RejectPushRule | null): Promise<void> {
  const hook = join(hooks, 'pre-receive')
  if (!rule) {
    await rm(hook, { force: true })
    return
  }
  await writeFile(join(hooks, 'branches'), `${rule.branches}\n`)
  await writeFile(join(hooks, 'message'), `${rule.message}\n`)
  const script = [
    '#!/bin/sh',
    `dir='${hooks}'`,
    'status=0',
    'while read -r old new ref; do',
    '  name=${ref#refs/heads/}',
    '  if printf "%s\\n" "$name" | grep -Eq -f "$dir/branches"; then status=1; fi',
    'done',
    'if [ "$status" -ne 0 ]; then cat "$dir/message" >&2; fi',
    'exit "$status"',
    '',
  ].join('\n')
  await writeFile(hook, script)
  await chmod(hook, 0o755)
}

function cgi(req: IncomingMessage, res: ServerResponse, root: string, hooks: string): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const header = (name: string): string => {
    const v = req.headers[name]
    return Array.isArray(v) ? v.join(', ') : (v ?? '')
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: '3',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    GIT_CONFIG_KEY_1: 'safe.directory',
    GIT_CONFIG_VALUE_1: '*',
    GIT_CONFIG_KEY_2: 'core.hooksPath',
    GIT_CONFIG_VALUE_2: hooks,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: header('content-type'),
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_USER: 'tester',
    GIT_PROTOCOL: header('git-protocol'),
    HTTP_CONTENT_ENCODING: header('content-encoding'),
  }
  if (req.headers['content-length']) env.CONTENT_LENGTH = header('content-length')
  const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  req.pipe(child.stdin)
  child.stdin.on('error', () => undefined)
  child.stderr.resume()
  child.on('error', () => {
    if (!res.headersSent) res.writeHead(500)
    res.end()
  })

  let head = Buffer.alloc(0)
  let headersDone = false
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk)
      return
    }
    head = Buffer.concat([head, chunk])
    const crlf = head.indexOf('\r\n\r\n')
    const lf = head.indexOf('\n\n')
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf
    if (end < 0) return
    const sepLength = end === crlf ? 4 : 2
    headersDone = true
    let status = 200
    const headers: Record<string, string> = {}
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':')
      if (colon < 0) continue
      const key = line.slice(0, colon).trim()
      const value = line.slice(colon + 1).trim()
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200
      else headers[key] = value
    }
    res.writeHead(status, headers)
    res.write(head.subarray(end + sepLength))
  })
  child.stdout.on('end', () => {
    if (!headersDone && !res.headersSent) res.writeHead(502)
    res.end()
  })
}

async function commitFiles(repo: string, files: Record<string, string>, branch: string): Promise<void> {
  const exists = await access(repo).then(
    () => true,
    () => false,
  )
  if (!exists) await runGit(['init', '--bare', '-q', `--initial-branch=${branch}`, repo])
  const work = await mkdtemp(join(tmpdir(), 'codex-git-work-'))
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true })
      await writeFile(join(work, path), content)
    }
    const opts = { cwd: work, gitDir: repo, workTree: work, env: { GIT_INDEX_FILE: join(work, '.index') } }
    const ref = `refs/heads/${branch}`
    const found = await runGit(['rev-parse', '--verify', '-q', ref], { ...opts, successExitCodes: [0, 1] })
    const head = await runGit(['rev-parse', '--verify', '-q', 'HEAD'], { ...opts, successExitCodes: [0, 1] })
    const parent = found.exitCode === 0 ? found.stdout.trim() : head.exitCode === 0 ? head.stdout.trim() : ''
    if (parent) await runGit(['read-tree', parent], opts)
    await runGit(['add', '--ignore-removal', '--', ...Object.keys(files)], opts)
    const tree = (await runGit(['write-tree'], opts)).stdout.trim()
    const parents = parent ? ['-p', parent] : []
    const commit = (
      await runGit(['commit-tree', tree, ...parents, '-m', `update ${branch}`], opts)
    ).stdout.trim()
    await runGit(['update-ref', ref, commit], opts)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
