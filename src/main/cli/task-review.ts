/**
 * The review from the command line, on a task of the data dir:
 *
 *   npm run task -- --comment ID --file src/app.ts --line 12-14 [--side new|old] --text "Why this?"
 *   npm run task -- --request-changes ID [--note "Also add a test."]
 *   npm run task -- --resume ID
 *
 * `--request-changes` sends the review (the note, the open comments, the left-out and discarded changes)
 * as a follow-up turn and follows that turn as a new task is followed: its events as they happen, then
 * the diff. `--resume` goes on with an interrupted task (or one Docker, the model API or the disk stopped),
 * followed the same way. Exit codes as for a task: 0 in review, 1 failed, 2 bad arguments, 130 interrupted.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { TaskEvent } from '../../shared/events'
import { commentInputSchema, taskId, type CommentInput } from '../../shared/review'
import { isSettled, type TaskRecord } from '../../shared/task'
import type { ReviewService } from '../engine/review-service'
import type { TaskStore } from '../engine/task-store'
import { AppError } from '../errors'
import { defaultDataDir } from './paths'
import { jsonLine, terminalText } from './terminal-text'

export const REVIEW_USAGE = `Review a task in review (ID: its id, as printed when it started):
  --comment ID --file PATH --line N[-M] [--side new|old] --text TEXT
                       comment on lines of a changed file (new: the changed file, the default; old: the
                       original); the code on those lines is quoted to the agent
  --request-changes ID [--note TEXT]
                       a follow-up turn whose message is the review: the note, the open comments with
                       their code, the changes left out or discarded with their reasons and patches;
                       followed like a task, then the diff
  --resume ID          go on with a task that was interrupted (or failed because of Docker, the model
                       API or the disk): its workspace and conversation are kept, a new container
                       starts; followed like a task, then the diff`

export type ReviewCommand =
  | { kind: 'request-changes'; id: string; note?: string; dataDir: string; json: boolean }
  | { kind: 'resume'; id: string; dataDir: string; json: boolean }
  | { kind: 'comment'; input: CommentInput & { action: 'add' }; dataDir: string; json: boolean }

export type ParsedReviewCommand =
  { ok: true; value: ReviewCommand } | { ok: false; message: string; help?: boolean }

/** The review command `argv` asks for; undefined when it asks for none (a new task). */
export function parseReviewCommand(argv: string[]): ParsedReviewCommand | undefined {
  if (!argv.some((a) => /^--(request-changes|comment|resume)(=|$)/.test(a))) return undefined
  let values: ReturnType<typeof parseReviewOptions>['values']
  try {
    const parsed = parseReviewOptions(argv)
    if (parsed.positionals.length > 0) {
      return { ok: false, message: `Unexpected argument: "${parsed.positionals[0]}".` }
    }
    values = parsed.values
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
  if (values.help) return { ok: false, message: '', help: true }
  const common = {
    dataDir: resolve(values['data-dir'] || process.env.CODEX_DATA_DIR || defaultDataDir()),
    json: Boolean(values.json),
  }
  if (values['request-changes'] !== undefined && values.comment !== undefined) {
    return { ok: false, message: 'Give either --comment or --request-changes, not both.' }
  }
  if (values.resume !== undefined && (values['request-changes'] ?? values.comment) !== undefined) {
    return { ok: false, message: 'Give --resume alone, without --comment or --request-changes.' }
  }
  if (values.resume !== undefined) {
    const id = taskId.safeParse(values.resume)
    if (!id.success) return { ok: false, message: `--resume: "${values.resume}" is not a task id.` }
    return { ok: true, value: { kind: 'resume', id: id.data, ...common } }
  }
  if (values['request-changes'] !== undefined) {
    const id = taskId.safeParse(values['request-changes'])
    if (!id.success)
      return { ok: false, message: `--request-changes: "${values['request-changes']}" is not a task id.` }
    return { ok: true, value: { kind: 'request-changes', id: id.data, note: values.note, ...common } }
  }
  return commentCommand(values, common)
}

function commentCommand(
  values: ReturnType<typeof parseReviewOptions>['values'],
  common: { dataDir: string; json: boolean },
): ParsedReviewCommand {
  const lines = /^(\d{1,8})(?:-(\d{1,8}))?$/.exec(values.line ?? '')
  if (!values.file || !lines || values.text === undefined) {
    return { ok: false, message: '--comment needs --file PATH, --line N or N-M, and --text TEXT.' }
  }
  const side: 'new' | 'old' | undefined =
    values.side === 'old' ? 'old' : (values.side ?? 'new') === 'new' ? 'new' : undefined
  if (!side) return { ok: false, message: `--side: expected new or old, got "${values.side}".` }
  const startLine = Number(lines[1])
  const input = {
    action: 'add' as const,
    id: values.comment ?? '',
    path: values.file,
    side,
    startLine,
    endLine: lines[2] ? Number(lines[2]) : startLine,
    text: values.text,
  }
  const checked = commentInputSchema.safeParse(input)
  if (!checked.success) {
    return {
      ok: false,
      message: checked.error.issues.map((i) => `${i.path.join('.') || 'comment'}: ${i.message}`).join('; '),
    }
  }
  return { ok: true, value: { kind: 'comment', input, ...common } }
}

function parseReviewOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'request-changes': { type: 'string' },
      resume: { type: 'string' },
      note: { type: 'string' },
      comment: { type: 'string' },
      file: { type: 'string' },
      line: { type: 'string' },
      side: { type: 'string' },
      text: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/** What of the engine the review commands use (TaskEngine has it all). */
export interface ReviewEngine {
  subscribe(listener: (event: TaskEvent) => void): () => void
  get(id: string): TaskRecord
  cancel(id: string): Promise<TaskRecord>
  /** For --resume (TaskEngine has it). */
  resume?: (id: string) => Promise<TaskRecord>
  review: Pick<ReviewService, 'comment' | 'requestChanges'>
  store: Pick<TaskStore, 'readArtifact' | 'paths'>
}

export interface ReviewOutput {
  /** Prints a task event (the CLI's eventPrinter). */
  event: (event: TaskEvent) => void
  /** Text for stdout and stderr, already terminal-safe where it needs to be. */
  out: (text: string) => void
  err: (text: string) => void
  /** Called once with a cancel: Ctrl+C while the turn runs. */
  onInterrupt?: (cancel: () => void) => void
}

/** Runs the command; the exit code. */
export async function runReviewCommand(
  engine: ReviewEngine,
  command: ReviewCommand,
  output: ReviewOutput,
): Promise<number> {
  if (command.kind === 'comment') {
    const task = await engine.review.comment(command.input)
    const added = task.comments?.at(-1)
    output.out(command.json ? jsonLine(added) : terminalText(`comment ${added?.id ?? ''} saved\n`))
    return 0
  }
  return followRequest(engine, command, output)
}

/** Starts the turn the command asks for (a follow-up from the review, or a resume) and follows it. */
async function followRequest(
  engine: ReviewEngine,
  command: ReviewCommand & { kind: 'request-changes' | 'resume' },
  output: ReviewOutput,
): Promise<number> {
  let settle: () => void = () => undefined
  const settled = new Promise<void>((done) => (settle = done))
  let started = false
  const unsubscribe = engine.subscribe((event) => {
    if (event.taskId !== command.id) return
    output.event(event)
    if (event.type === 'status' && event.status !== 'review' && !isSettled(event.status)) started = true
    if (started && event.type === 'status' && isSettled(event.status)) settle()
  })
  let interrupted = false
  try {
    if (command.kind === 'resume') await resumeOf(engine)(command.id)
    else await engine.review.requestChanges(command.id, command.note)
    output.onInterrupt?.(() => {
      interrupted = true
      void engine.cancel(command.id)
    })
    await settled
  } finally {
    unsubscribe()
  }
  return reportTaskEnd(engine, command.id, command.json, output, interrupted)
}

function resumeOf(engine: ReviewEngine): (id: string) => Promise<TaskRecord> {
  if (!engine.resume) throw new AppError('unsupported', 'This engine cannot resume tasks.')
  return engine.resume.bind(engine)
}

/**
 * What the CLI prints when a task's turn has settled, and its exit code: in review, the patch (unless
 * --json) and where the artifacts are (0); else its error (130 when interrupted, else 1). `npm run task`
 * ends the same way.
 */
export async function reportTaskEnd(
  engine: Pick<ReviewEngine, 'get' | 'store'>,
  id: string,
  json: boolean,
  output: Pick<ReviewOutput, 'out' | 'err'>,
  interrupted: boolean,
): Promise<number> {
  const final = engine.get(id)
  if (final.status === 'review') {
    const patch = await engine.store.readArtifact(id, 'diff.patch')
    if (!json) output.out(terminalText(`\n${patch || '(no changes)\n'}`))
    const artifacts = engine.store.paths(id).artifacts
    output.err(terminalText(`\n${final.diff?.files ?? 0} files changed; artifacts in ${artifacts}`))
    return 0
  }
  if (final.error)
    output.err(terminalText(`\n${final.error.message}${final.error.hint ? `\n${final.error.hint}` : ''}`))
  return interrupted ? 130 : 1
}
