import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { networkInput, parseNetworkArg } from '../../shared/contract'
import type { NetworkPhase, PhaseNetwork } from '../../shared/network'
import { AGENT_RUNTIMES, type AgentRuntime, type SubmitTaskInput, type TaskSource } from '../../shared/task'
import { invokeCall } from '../engine/handlers'
import type { ServerContext } from './api-routes'
import { HttpError, sendError, sendJson, statusForError } from './http-io'
import { SEED_ARTIFACT_NAMES, seedLog } from './seed-artifacts'
import { isTokenShaped } from './seed-auto-pr'
import { readSeedForm } from './seed-form'
import { seedStatusJson } from './seed-status'
import { discardUpload } from './uploads'

/**
 * The seed's REST calls, kept for its clients (curl, its HTML page):
 *   POST /api/task (multipart: git_url or zip_file, task_description, optional target_file, branch,
 *                   setup_network, agent_network — a MODE as the CLI takes it —, read_only_network,
 *                   runtime (builtin or codex) and github_token: a pull request opened by itself at review)
 *   GET  /api/task/{id}/status       (the seed's fields and ours: seed-status.ts)
 *   GET  /api/logs/{id}/{filename}   (ours and the seed's names: seed-artifacts.ts)
 */
export async function handleSeedSubmit(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const zipLimit = ctx.services.settings.get().zip.maxBytes
  const form = await readSeedForm(req, ctx.uploadDir, zipLimit)
  const field = (name: string): string | undefined => form.fields.get(name)?.trim() || undefined
  const cleanup = async (): Promise<void> => {
    if (form.zipPath) await discardUpload(form.zipPath)
  }
  try {
    const gitUrl = field('git_url')
    const prompt = field('task_description')
    const target = field('target_file')
    if (!prompt) throw new HttpError(400, 'invalid_input', 'task_description is required.')
    if (gitUrl && form.zipPath)
      throw new HttpError(400, 'invalid_input', 'Send git_url or zip_file, not both.')
    if (target && !isRelativePath(target)) {
      throw new HttpError(400, 'invalid_input', 'target_file must be a path inside the repository.')
    }
    let source: TaskSource
    if (gitUrl) source = { kind: 'git', url: gitUrl, ...(field('branch') ? { branch: field('branch') } : {}) }
    else if (form.zipPath) source = { kind: 'zip', path: form.zipPath }
    else throw new HttpError(400, 'invalid_input', 'git_url or zip_file is required.')
    const network = seedNetwork(field, ctx.services.settings.get().network)
    const runtime = seedRuntime(field('runtime'))
    // Not trimmed, not echoed: a token is used as given, or refused without saying what it was.
    const githubToken = form.fields.get('github_token') || undefined
    if (githubToken !== undefined && !isTokenShaped(githubToken)) {
      throw new HttpError(400, 'invalid_input', 'github_token must be 1 to 512 visible ASCII characters.')
    }
    const result = await invokeCall(ctx.handlers, 'tasks.submit', {
      source,
      prompt,
      focusFiles: target ? [target] : [],
      ...(network ? { network } : {}),
      ...(runtime ? { runtime } : {}),
    })
    if (!result.ok) {
      await cleanup()
      return sendError(res, statusForError(result.error), result.error)
    }
    const task = result.value
    if (githubToken !== undefined) await ctx.seed.autoPr.request(task, githubToken)
    sendJson(res, 202, {
      message: 'Task created successfully',
      task_id: task.id,
      status: 'pending',
      logs_url: `/api/logs/${task.id}/`,
    })
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * The form's `setup_network` and `agent_network` (each `off`, `registries`, `full`, or host patterns separated
 * by commas) and `read_only_network` (`true`, `1`, `yes`, `on`), checked like the CLI's flags.
 */
function seedNetwork(
  field: (name: string) => string | undefined,
  defaults: Record<NetworkPhase, PhaseNetwork>,
): SubmitTaskInput['network'] {
  const given: Partial<Record<NetworkPhase, PhaseNetwork>> = {}
  for (const phase of ['setup', 'agent'] as const) {
    const text = field(`${phase}_network`)
    if (text === undefined) continue
    const mode = parseNetworkArg(text)
    if (!mode.ok) throw new HttpError(400, 'invalid_input', `${phase}_network: ${mode.message}`)
    given[phase] = mode.value
  }
  const flag = field('read_only_network')?.toLowerCase()
  if (flag !== undefined && !['true', '1', 'yes', 'on', 'false', '0', 'no', 'off'].includes(flag)) {
    throw new HttpError(400, 'invalid_input', 'read_only_network: give true or false.')
  }
  const readOnly = flag === 'true' || flag === '1' || flag === 'yes' || flag === 'on'
  const network = networkInput(given, { readOnly, defaults })
  if (!network.ok) throw new HttpError(400, 'invalid_input', `read_only_network: ${network.message}`)
  return network.value
}

/** The form's `runtime`: `builtin` or `codex`; Settings' default when not given. */
function seedRuntime(text: string | undefined): AgentRuntime | undefined {
  if (text === undefined) return undefined
  const runtime = AGENT_RUNTIMES.find((r) => r === text)
  if (!runtime) throw new HttpError(400, 'invalid_input', `runtime: give ${AGENT_RUNTIMES.join(' or ')}.`)
  return runtime
}

function isRelativePath(path: string): boolean {
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0') || /^[A-Za-z]:/.test(path))
    return false
  return path.split('/').every((part) => part !== '..')
}

const TASK_ID = /^[A-Za-z0-9_-]{1,80}$/

const noTask = (): HttpError => new HttpError(404, 'not_found', 'There is no such task.')

/** The task id from a raw path segment, when it names a known task. */
function knownTask(ctx: ServerContext, raw: string): string {
  if (!TASK_ID.test(raw) || !ctx.services.engine.store.has(raw)) throw noTask()
  return raw
}

/** The seed's status fields (ID, Status, Message, …) next to ours (task_id, status, error, diff). */
export function handleSeedStatus(ctx: ServerContext, res: ServerResponse, rawId: string): void {
  const task = ctx.services.engine.get(knownTask(ctx, rawId))
  sendJson(res, 200, seedStatusJson(task, ctx.seed.autoPr.state(task), ctx.seed.progress.of(task.id)))
}

/**
 * Streams one of a task's artifacts: ours (agent.log, setup.log, diff.patch, prompt.md, summary.md, the
 * exports) or the seed's names (prompt.txt, llm_response.txt, docker_container.log, error.txt, pr_url.txt).
 * The name is looked up in the allowlists and the constant from the list is used, never the request's
 * text: `..`, encoded slashes and anything unknown are 404; a known name not written yet is 404 too.
 */
export async function handleSeedLog(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawId: string,
  rawName: string,
): Promise<void> {
  const id = knownTask(ctx, rawId)
  const task = ctx.services.engine.get(id)
  const answer = await seedLog(ctx.services.engine.store, task, ctx.seed.autoPr.state(task), rawName)
  if (!answer) throw new HttpError(404, 'not_found', 'There is no such log.')
  const notYet = (name: string): void =>
    sendError(res, 404, { kind: 'not_found', message: `${name} has not been written yet.` })
  if (answer.kind === 'missing') return notYet(answer.name)
  const headers = (size: number, name: string): Record<string, string | number> => ({
    'content-type': answer.type,
    'content-length': size,
    'cache-control': 'no-store',
    'content-disposition': `${name.startsWith('export.') ? 'attachment' : 'inline'}; filename="${name}"`,
  })
  const shownName =
    SEED_ARTIFACT_NAMES.find((n) => n === rawName) ?? (answer.kind === 'file' ? answer.name : '')
  if (answer.kind === 'text') {
    const body = Buffer.from(answer.text, 'utf8')
    res.writeHead(200, headers(body.length, shownName))
    return void res.end(req.method === 'HEAD' ? undefined : body)
  }
  const path = ctx.services.engine.store.artifactPath(id, answer.name)
  const info = await stat(path).catch(() => undefined)
  if (!info?.isFile()) return notYet(shownName)
  res.writeHead(200, headers(info.size, shownName))
  if (req.method === 'HEAD' || info.size === 0) return void res.end()
  // The log may grow while we send it: send what the length promised.
  await pipeline(createReadStream(path, { start: 0, end: info.size - 1 }), res)
}
