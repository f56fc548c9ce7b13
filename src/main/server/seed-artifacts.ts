import { DOWNLOAD_NAMES, type DownloadName } from '../../shared/contract'
import type { TaskEvent } from '../../shared/events'
import type { TaskRecord } from '../../shared/task'
import type { TaskStore } from '../engine/task-store'
import { autoPrError, describeError, pullRequestOf, type AutoPrState } from './seed-status'

/** The original service's output files, by the names its clients ask for. */
export const SEED_ARTIFACT_NAMES = [
  'prompt.txt',
  'llm_response.txt',
  'docker_container.log',
  'error.txt',
  'pr_url.txt',
] as const
type SeedArtifactName = (typeof SEED_ARTIFACT_NAMES)[number]

/** What one name of `GET /api/logs/{id}/{name}` answers: a stored file, or text made on the spot. */
export type LogAnswer =
  | { kind: 'file'; name: DownloadName; type: string }
  | { kind: 'text'; text: string; type: string }
  /** A known name with nothing to show yet (404). */
  | { kind: 'missing'; name: string }

const TEXT = 'text/plain; charset=utf-8'

export const CONTENT_TYPES: Record<DownloadName, string> = {
  'agent.log': TEXT,
  'setup.log': TEXT,
  'diff.patch': 'text/x-diff; charset=utf-8',
  'prompt.md': 'text/markdown; charset=utf-8',
  'summary.md': 'text/markdown; charset=utf-8',
  'export.patch': 'text/x-diff; charset=utf-8',
  'export.zip': 'application/zip',
}

/** The seed's names kept as files of ours under another name. */
const ALIASES: Partial<Record<SeedArtifactName, DownloadName>> = {
  'prompt.txt': 'prompt.md',
  'llm_response.txt': 'summary.md',
}

/**
 * Looks a requested name up in the two allowlists (ours and the seed's) and answers from the constants of
 * the list, never from the request's text; anything else is undefined (404).
 */
export async function seedLog(
  store: TaskStore,
  task: TaskRecord,
  auto: AutoPrState,
  rawName: string,
): Promise<LogAnswer | undefined> {
  const ours = DOWNLOAD_NAMES.find((n) => n === rawName)
  if (ours) return { kind: 'file', name: ours, type: CONTENT_TYPES[ours] }
  const name = SEED_ARTIFACT_NAMES.find((n) => n === rawName)
  if (!name) return undefined
  const alias = ALIASES[name]
  if (alias) return { kind: 'file', name: alias, type: TEXT }
  const text = await seedText(store, task, auto, name)
  return text === undefined ? { kind: 'missing', name } : { kind: 'text', text, type: TEXT }
}

async function seedText(
  store: TaskStore,
  task: TaskRecord,
  auto: AutoPrState,
  name: SeedArtifactName,
): Promise<string | undefined> {
  switch (name) {
    case 'pr_url.txt':
      return pullRequestOf(task)?.url
    case 'error.txt': {
      if (task.status === 'cancelled') return 'The task was cancelled.\n'
      if (task.error) return `${describeError(task.error)}\n`
      const error = task.status === 'review' && !pullRequestOf(task) ? autoPrError(auto) : undefined
      return error ? `${describeError(error)}\n` : undefined
    }
    case 'docker_container.log': {
      const text = containerOutput(await store.readEvents(task.id))
      return text || undefined
    }
    default:
      return undefined
  }
}

/**
 * What ran in the task's containers and what it printed, in order: the setup script's output and each
 * tool call the agent made there (a shell command with its exit code, stdout and stderr; a file read or
 * written by the in-container helper) with its whole result.
 */
export function containerOutput(events: TaskEvent[]): string {
  const calls = new Map<string, string>()
  const out: string[] = []
  for (const event of events) {
    const time = event.at.slice(11, 19)
    if (event.type === 'log' && event.stream === 'setup') out.push(event.text)
    else if (event.type === 'tool_call' && event.name !== 'finish')
      calls.set(event.callId, describeCall(event.name, event.args))
    else if (event.type === 'tool_result' && calls.has(event.callId)) {
      const call = calls.get(event.callId) ?? event.name
      const output = event.output.replace(/\n?$/, '\n')
      out.push(`${time} ${call}\n${output}`)
    }
  }
  return out.join('')
}

function describeCall(name: string, args: unknown): string {
  const a = (args ?? {}) as Record<string, unknown>
  if (name === 'shell' && typeof a.command === 'string') return `$ ${a.command}`
  if (typeof a.path === 'string') return `${name} ${a.path}`
  return name
}
