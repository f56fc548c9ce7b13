/**
 * Helpers of the review tests (integration and browser): typed calls over the headless server's HTTP
 * API (through the bridge the browser uses), waiting for a turn to end, the scripted model's received
 * messages, and git.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { Api, ApiCall } from '../../src/shared/api'
import type { CallInput, CallName, CallOutputs } from '../../src/shared/contract'
import type { DiffResult, FileDiff } from '../../src/shared/diff'
import type { AppErrorData } from '../../src/shared/errors'
import type { DiffHunk } from '../../src/shared/review'
import type { TaskRecord } from '../../src/shared/task'
import { createHttpBridge } from '../../src/renderer/src/lib/http-bridge'
import { fetchWith } from './http'
import type { ModelServer } from './model-server'
import type { TestAppServer } from './services'
import { NodeEventSource } from './sse-client'

const execFileAsync = promisify(execFile)

/** The HTTP bridge to the test server, authorized with its token. */
export function httpApi(env: TestAppServer): Api {
  return createHttpBridge(env.server.url, {
    fetch: fetchWith(env.auth),
    eventSource: (url) => new NodeEventSource(url, { headers: env.auth }),
  })
}

/** Calls `name` over HTTP; its value, or an Error naming the call and the engine's error. */
export async function call<N extends CallName>(
  api: Api,
  name: N,
  input: CallInput<N>,
): Promise<CallOutputs[N]> {
  const result = await (api[name] as ApiCall<N>)(input)
  if (result.ok) return result.value as CallOutputs[N]
  throw new Error(`${name} failed (${result.error.kind}): ${result.error.message}`)
}

/** Calls `name` expecting a refusal; the engine's error (an Error when the call succeeded). */
export async function refusal<N extends CallName>(
  api: Api,
  name: N,
  input: CallInput<N>,
): Promise<AppErrorData> {
  const result = await (api[name] as ApiCall<N>)(input)
  if (!result.ok) return result.error
  throw new Error(`${name} was expected to be refused, and succeeded`)
}

/** Polls the task until its `turns`-th turn ended in review; fails at once when the task failed. */
export async function waitForTurn(
  api: Api,
  id: string,
  turns: number,
  timeoutMs = 150_000,
): Promise<TaskRecord> {
  const started = Date.now()
  for (;;) {
    const task = await call(api, 'tasks.get', { id })
    if (task.status === 'review' && task.turns >= turns) return task
    if (task.status === 'failed' || task.status === 'cancelled' || task.status === 'interrupted') {
      throw new Error(`The task ended ${task.status}: ${task.error?.message ?? 'no error recorded'}`)
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`Timed out waiting for turn ${turns} (status ${task.status}, turns ${task.turns})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The text of a chat message's content: a string, or the text parts of a list. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .join('')
}

/** The last user message of the model request number `index` (0-based, in arrival order). */
export function lastUserMessage(model: ModelServer, index: number): string {
  const request = model.requests[index]
  if (!request) throw new Error(`The model received ${model.requests.length} requests, not ${index + 1}`)
  const users = request.body.messages.filter((m) => m.role === 'user')
  const last = users[users.length - 1]
  if (!last) throw new Error(`Request ${index + 1} holds no user message`)
  return contentText(last.content)
}

/** The changed file at `path` of a diff (by its new path, else its old one). */
export function fileOf(diff: DiffResult, path: string): FileDiff {
  const file = diff.fileDiffs.find((f) => (f.newPath ?? f.oldPath) === path)
  if (!file) {
    const paths = diff.fileDiffs.map((f) => f.newPath ?? f.oldPath).join(', ')
    throw new Error(`${path} is not in the diff (it holds ${paths || 'no file'})`)
  }
  return file
}

/** The hunks of `path` in a diff; fails when the file has none (it is whole-file only). */
export function hunksOf(diff: DiffResult, path: string): DiffHunk[] {
  const hunks = fileOf(diff, path).hunks
  if (!hunks) throw new Error(`${path} has no hunks in the diff`)
  return hunks
}

/** The paths a diff changes, sorted. */
export const changedPaths = (diff: DiffResult): string[] =>
  diff.fileDiffs.map((f) => f.newPath ?? f.oldPath ?? '').sort()

/** git, asynchronously (the in-process servers must keep answering while it runs); its trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execFileAsync('git', args, { cwd, encoding: 'utf8' })).stdout.trim()
}

/** git, keeping its stdout exactly (file contents). */
export async function gitRaw(cwd: string, ...args: string[]): Promise<string> {
  return (await execFileAsync('git', args, { cwd, encoding: 'utf8' })).stdout
}

/** Makes `folder` a git repository with one commit of what it holds. */
export async function commitAll(folder: string): Promise<void> {
  await git(folder, 'init', '-q', '-b', 'main')
  await git(folder, 'add', '-A')
  await git(folder, '-c', 'user.name=u', '-c', 'user.email=u@example.com', 'commit', '-q', '-m', 'first')
}

/** `n` numbered lines, `line 1` … `line n`, each with its newline. */
export const numberedLines = (n: number): string[] => Array.from({ length: n }, (_, i) => `line ${i + 1}`)

export const asFile = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('')

/** A script step: one tool call. */
export const tool = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, args }] })

export const finish = (summary: string) => tool('finish', { summary })

/** The review-loop scenario's src/api.js: two functions far enough apart that changing one line of each gives two hunks. */
export const API = [
  'export function getUser(id) {',
  '  return db.users.find(id)',
  '}',
  ...Array.from({ length: 12 }, (_, i) => `// note ${i + 1}`),
  'export function listUsers() {',
  '  return db.users.all()',
  '}',
]
/** The scenario's src/util.js, before and after turn 1. */
export const UTIL_V0 = 'export const clamp = (n) => Math.max(0, n)\n'
export const UTIL_V1 = 'export const clamp = (n, max = 10) => Math.min(max, Math.max(0, n))\n'

/** `lines` with line `at` (1-based) replaced by `text`. */
export const withLine = (lines: readonly string[], at: number, text: string): string[] =>
  lines.map((l, i) => (i === at - 1 ? text : l))

/** A scripted edit_file step. */
export const edit = (path: string, from: string, to: string) =>
  tool('edit_file', { path, old_string: from, new_string: to })
