import { existsSync, readFileSync } from 'node:fs'
import { listTaskContainers } from '../../src/main/docker/sandbox'
import { TaskStore } from '../../src/main/engine/task-store'
import { requireDocker } from './docker'

export interface StoreAudit {
  /** Task records, event lines and workspaces that could not be read back. */
  lost: number
  /** What was lost, for the failure message. */
  notes: string[]
  store: TaskStore
}

/**
 * Reads a data directory back as a fresh engine would: every task in `ids` must have a readable record,
 * an events.jsonl whose every line parses, and (for those in `withWorkspace`) its workspace.
 */
export async function auditStore(
  dataDir: string,
  ids: readonly string[],
  withWorkspace: readonly string[] = [],
): Promise<StoreAudit> {
  const store = await TaskStore.open(dataDir)
  const notes: string[] = []
  for (const id of ids) {
    if (!store.has(id)) {
      notes.push(`${id}: task.json unreadable`)
      continue
    }
    const path = store.paths(id).events
    const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
    const broken = text.split('\n').filter((line) => line && !parses(line)).length
    if (broken) notes.push(`${id}: ${broken} event lines do not parse`)
    if (!text.endsWith('\n') && text) notes.push(`${id}: events.jsonl ends in a half line`)
    if (withWorkspace.includes(id) && !existsSync(store.paths(id).workspace))
      notes.push(`${id}: workspace missing`)
  }
  return { lost: notes.length, notes, store }
}

function parses(line: string): boolean {
  try {
    JSON.parse(line)
    return true
  } catch {
    return false
  }
}

/** Containers of the task still there (`docker ps -a --filter label=codex-sys.task=<id>`). */
export async function orphansOf(id: string): Promise<number> {
  const all = await listTaskContainers(await requireDocker())
  return all.filter((c) => c.taskId === id).length
}
