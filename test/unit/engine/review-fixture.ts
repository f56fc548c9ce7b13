import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { saveDiffSnapshot } from '../../../src/main/engine/diff-snapshot'
import { ReviewService } from '../../../src/main/engine/review-service'
import { TaskStore } from '../../../src/main/engine/task-store'
import { newTaskRecord } from '../../../src/main/engine/new-task'
import type { TurnReviewDeps } from '../../../src/main/engine/turn-review'
import { WorkspaceGate } from '../../../src/main/engine/workspace-gate'
import { createBaseline } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import type { DiffResult, FileDiff } from '../../../src/shared/diff'
import type { TaskEventBody } from '../../../src/shared/events'
import { defaultSettings } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'
import { tempDir } from '../../support/tmp'

/** The review's test bench: a task in review on a real workspace and private git dir (no container). */

export const lines = (n: number, edit: Record<number, string> = {}): string =>
  Array.from({ length: n }, (_, i) => edit[i + 1] ?? `line ${i + 1}`).join('\n') + '\n'

/** A task in review on a real workspace and private git dir; `change` is what the agent did. */
export async function reviewTask(
  original: Record<string, string | Buffer>,
  change: (ws: string) => Promise<void>,
  opts: { dataDir?: string } = {},
) {
  const dataDir = opts.dataDir ?? (await tempDir('codex-review-'))
  const store = await TaskStore.open(dataDir)
  const input = submitTaskInputSchema.parse({ source: { kind: 'folder', path: dataDir }, prompt: 'p' })
  const task = newTaskRecord(input, defaultSettings())
  await store.create(task)
  const id = task.id
  const paths = store.paths(id)
  const ws = paths.workspace
  for (const [path, content] of Object.entries(original)) await put(ws, path, content)
  const baseline = await createBaseline({ workspace: ws, gitDir: paths.gitDir })
  await store.update(id, { baselineCommit: baseline, status: 'review' })
  await change(ws)
  const turn = { alive: false }
  const gate = new WorkspaceGate(() => turn.alive)
  const followUps: string[] = []
  const events: TaskEventBody[] = []
  const service = new ReviewService({
    store,
    workspace: gate,
    followUp: async (taskId, prompt) => {
      followUps.push(prompt)
      return store.update(taskId, { status: 'queued' })
    },
    emit: (_, body) => events.push(body),
  })
  /** The diff as a turn's end keeps it (the review's current diff). */
  const refresh = async (): Promise<DiffResult> => {
    const diff = await computeDiff({ workspace: ws, gitDir: paths.gitDir, baseline })
    await store.update(id, { diff: await saveDiffSnapshot(store, id, diff) })
    return diff
  }
  const diff = await refresh()
  const file = (path: string, d: DiffResult = diff): FileDiff => {
    const found = d.fileDiffs.find((f) => (f.newPath ?? f.oldPath) === path)
    if (!found) throw new Error(`${path} not in the diff`)
    return found
  }
  const turnDeps: TurnReviewDeps = {
    store,
    emit: (body: TaskEventBody) => events.push(body),
    signal: new AbortController().signal,
    exclusive: <T>(fn: () => Promise<T>) => gate.exclusive(id, fn),
  }
  return {
    id,
    store,
    ws,
    gitDir: paths.gitDir,
    baseline,
    service,
    diff,
    file,
    refresh,
    turn,
    followUps,
    events,
    turnDeps,
  }
}

export async function put(ws: string, path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(ws, path)), { recursive: true })
  await writeFile(join(ws, path), content)
}

export const refusal = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('accepted')
}

export const bytes = (ws: string, path: string): Promise<Buffer> => readFile(join(ws, path))
export const modeOf = async (ws: string, path: string): Promise<number> =>
  (await lstat(join(ws, path))).mode & 0o777
