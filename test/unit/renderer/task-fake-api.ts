import type { DiffResult, FileDiff } from '../../../src/shared/diff'
/**
 * A fake `window.api` for component tests: every call of the contract, answered by per-test handlers
 * (unhandled calls resolve with an 'unsupported' error), every call recorded, and `emit` to push engine
 * events. Import this module before any renderer module: it installs itself as `window.api` on load,
 * which is what `lib/api.ts` picks up.
 */
import type { Api } from '../../../src/shared/api'
import { CALL_NAMES, type CallInput, type CallName, type CallOutputs } from '../../../src/shared/contract'
import type { Result } from '../../../src/shared/errors'
import type { AppEvent, TaskEvent, TaskEventBody } from '../../../src/shared/events'
import { emptyUsage, type TaskRecord } from '../../../src/shared/task'

type Handler<N extends CallName> = (
  input: CallInput<N>,
) => Result<CallOutputs[N]> | Promise<Result<CallOutputs[N]>>
export type Handlers = { [N in CallName]?: Handler<N> }

export interface FakeApi {
  api: Api
  handlers: Handlers
  calls: { name: CallName; input: unknown }[]
  callsOf<N extends CallName>(name: N): CallInput<N>[]
  emit(event: AppEvent): void
}

function createFakeApi(): FakeApi {
  const listeners = new Set<(event: AppEvent) => void>()
  const fake: FakeApi = {
    api: {} as Api,
    handlers: {},
    calls: [],
    callsOf: <N extends CallName>(name: N) =>
      fake.calls.filter((c) => c.name === name).map((c) => c.input as CallInput<N>),
    emit: (event) => listeners.forEach((l) => l(event)),
  }
  const entries = CALL_NAMES.map((name) => [
    name,
    async (input: unknown) => {
      fake.calls.push({ name, input })
      const handler = fake.handlers[name] as ((input: unknown) => unknown) | undefined
      if (handler) return handler(input)
      return { ok: false, error: { kind: 'unsupported', message: `${name} is not faked in this test` } }
    },
  ])
  fake.api = Object.assign(Object.fromEntries(entries), {
    onEvent: (listener: (event: AppEvent) => void) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    fileSource: async () => ({ ok: true, value: '/tmp/file' }),
  }) as unknown as Api
  return fake
}

export const fake = createFakeApi()
window.api = fake.api

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value })

export function taskRecord(patch: Partial<TaskRecord> = {}): TaskRecord {
  const now = new Date().toISOString()
  return {
    id: 't1',
    title: 'Add input validation',
    prompt: 'Add input validation to the signup form',
    source: { kind: 'git', url: 'https://github.com/acme/shop.git', branch: 'main' },
    status: 'running',
    model: 'gpt-4.1-mini',
    focusFiles: [],
    limits: { maxSteps: 50, maxTokens: 2_000_000, maxCostUsd: 5, timeLimitMs: 1_800_000 },
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    usage: emptyUsage(),
    turns: 0,
    ...patch,
  }
}

const EVENTS_AT = new Date().toISOString()

/** Task events with consecutive seq numbers, as the engine numbers them. */
export function taskEvents(taskId: string, bodies: TaskEventBody[], firstSeq = 0): TaskEvent[] {
  // One time for every event of the run: the same events built twice compare equal.
  return bodies.map((body, i) => ({ ...body, taskId, seq: firstSeq + i, at: EVENTS_AT }) as TaskEvent)
}

/**
 * happy-dom has no layout: give elements the sizes a browser would (a 600 × 800 viewport for scroll
 * containers, 40 px rows, content as tall as it says), so the virtualized lists compute a real window.
 */
export function stubLayout(viewport = 600, row = 40): void {
  const define = (name: string, get: (this: HTMLElement) => number): void => {
    Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get })
  }
  define('clientHeight', () => viewport)
  define('clientWidth', () => 800)
  define('offsetHeight', () => row)
  define('offsetWidth', () => 800)
  // A scroll container is as tall as its sized content (the virtualizers set the inner height).
  define('scrollHeight', function () {
    const heights = Array.from(this.children, (c) => parseFloat((c as HTMLElement).style.height) || 0)
    return Math.max(viewport, ...heights)
  })
}

/** A changed file for review tests: modified old → new unless `patch` says otherwise. */
export const file = (patch: Partial<FileDiff> & { newPath: string }): FileDiff => ({
  oldPath: patch.newPath,
  status: 'modified',
  additions: 1,
  deletions: 1,
  oldContent: 'old\n',
  newContent: 'new\n',
  binary: false,
  contentOmitted: false,
  oldMode: '100644',
  newMode: '100644',
  ...patch,
})
/** A diff of these files, with its totals. */
export const diffOf = (fileDiffs: FileDiff[]): DiffResult => ({
  files: fileDiffs.length,
  additions: fileDiffs.reduce((n, f) => n + f.additions, 0),
  deletions: fileDiffs.reduce((n, f) => n + f.deletions, 0),
  fileDiffs,
  patch: '',
})

/**
 * The review's calls answered the way the engine does, on a record the test holds: `tasks.setExcluded`
 * stores the selection, `tasks.comment` adds, edits, deletes or re-states a comment, `tasks.discard` adds
 * a discard record (`tasks.undoDiscard` drops the latest), `tasks.requestChanges` marks the open comments
 * sent, clears the discards and queues a turn. Each returns the updated record.
 */
export function reviewHandlers(holder: { record: TaskRecord }): Handlers {
  const save = (patch: Partial<TaskRecord>): { ok: true; value: TaskRecord } => {
    holder.record = { ...holder.record, ...patch, updatedAt: new Date().toISOString() }
    return ok(holder.record)
  }
  let n = 0
  const now = (): string => new Date().toISOString()
  return {
    'tasks.setExcluded': ({ paths, hunks }) => save({ excludedPaths: paths, excludedHunks: hunks ?? [] }),
    'tasks.comment': (input) => {
      const comments = holder.record.comments ?? []
      if (input.action === 'add') {
        const { path, side, startLine, endLine, text } = input
        const c = { id: `c${++n}`, path, side, startLine, endLine, text: text.trim(), code: '' }
        return save({ comments: [...comments, { ...c, createdAt: now(), updatedAt: now(), state: 'open' }] })
      }
      if (input.action === 'delete')
        return save({ comments: comments.filter((c) => c.id !== input.commentId) })
      return save({
        comments: comments.map((c) =>
          c.id !== input.commentId
            ? c
            : input.action === 'edit'
              ? { ...c, text: input.text.trim(), updatedAt: now() }
              : { ...c, state: input.state },
        ),
      })
    },
    'tasks.discard': ({ path, hunk, lines, reason }) => {
      const record = { id: `d${++n}`, at: now(), path, hunk, lines, reason, patch: '', undo: [] }
      return save({ discards: [...(holder.record.discards ?? []), record] })
    },
    'tasks.undoDiscard': () => save({ discards: (holder.record.discards ?? []).slice(0, -1) }),
    'tasks.requestChanges': () =>
      save({
        status: 'queued',
        discards: [],
        comments: (holder.record.comments ?? []).map((c) =>
          c.state === 'open' ? { ...c, sentAt: now() } : c,
        ),
      }),
  }
}
