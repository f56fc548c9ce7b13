/**
 * Command-line entry: run one task and print its events as they happen, then the diff.
 *
 *   npm run task -- --folder ./repo "add a README"
 *   npm run task -- --zip code.zip "fix the failing test"
 *   npm run task -- --git https://github.com/o/r.git --branch dev "update the docs"
 *
 * Reads the key from OPENAI_API_KEY, the endpoint from OPENAI_BASE_URL, the model from --model or
 * OPENAI_MODEL. Exit code 0 when the task reaches review, 1 when it fails, 2 for bad arguments,
 * 130 when interrupted (Ctrl+C cancels the task and removes its container).
 *
 * Everything printed passes through terminal-text.ts: control characters in tool output, patches, names
 * and messages are shown (`␛`, `⟨U+009B⟩`), never sent to the terminal; `--json` lines escape them.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { TaskEvent } from '../../shared/events'
import { defaultSettings, settingsSchema } from '../../shared/settings'
import { isSettled, type TaskSource } from '../../shared/task'
import { defaultBaseImage } from '../docker/image'
import { TaskEngine } from '../engine/task-engine'
import { toErrorData } from '../errors'
import { agentImageDir } from './paths'
import { eventText, terminalText } from './terminal-text'

const USAGE = `Usage: npm run task -- (--folder DIR | --zip FILE | --git URL [--branch B]) [options] "task description"

Options:
  --model M            model name (default: $OPENAI_MODEL, else ${defaultSettings().model})
  --focus FILE         a file to focus on (repeatable)
  --setup FILE         a setup script to run (with network) before the agent, instead of the repo's setup.sh
  --time-limit MIN     minutes before the task is stopped (default 30)
  --max-steps N        most model calls (default 50)
  --data-dir DIR       where tasks are kept (default: $CODEX_DATA_DIR, else ~/.local/share/codex-sys)
  --allow-local-http   accept http://127.0.0.1 and http://localhost Git URLs
  --json               print events as JSON lines instead of text
Environment: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_MODEL, GITHUB_TOKEN (private clones),
  CODEX_BASE_IMAGE (base of the agent image; default ${defaultBaseImage()}).`

async function main(): Promise<number> {
  const parsed = parseCommandLine()
  if (!parsed) return 2
  const args = await loadSetupScript(parsed)
  const settings = settingsSchema.parse({
    ...defaultSettings(),
    model: args.model,
    baseUrl: process.env.OPENAI_BASE_URL || undefined,
    allowLocalHttpGit: args.allowLocalHttp,
  })
  const engine = await TaskEngine.open({
    dataDir: args.dataDir,
    settings: () => settings,
    apiKey: async () => process.env.OPENAI_API_KEY || undefined,
    githubToken: async () => process.env.GITHUB_TOKEN || undefined,
    agentImage: { contextDir: agentImageDir(), baseImage: defaultBaseImage() },
  })
  // Subscribed before submitting, so that the first events (queued) are printed too.
  const watched: { id?: string } = {}
  const early: TaskEvent[] = []
  let settle: () => void = () => undefined
  const settled = new Promise<void>((done) => (settle = done))
  const print = (event: TaskEvent): void => {
    process.stdout.write(eventText(event, { json: args.json }))
    if (event.type === 'status' && isSettled(event.status)) settle()
  }
  engine.subscribe((event: TaskEvent) => {
    if (watched.id === undefined) early.push(event)
    else if (event.taskId === watched.id) print(event)
  })
  const task = await engine.submit({
    source: args.source,
    prompt: args.prompt,
    model: settings.model,
    focusFiles: args.focus,
    setupScript: args.setupScript,
    limits: args.limits,
  })
  watched.id = task.id
  console.error(terminalText(`task ${task.id} (data in ${engine.store.paths(task.id).dir})`))
  early.filter((event) => event.taskId === task.id).forEach(print)

  let interrupted = false
  process.once('SIGINT', () => {
    interrupted = true
    console.error('\ncancelling…')
    void engine.cancel(task.id)
  })
  await settled
  const final = engine.get(task.id)
  if (final.status === 'review') {
    const patch = await engine.store.readArtifact(task.id, 'diff.patch')
    process.stdout.write(args.json ? '' : terminalText(`\n${patch || '(no changes)\n'}`))
    console.error(
      terminalText(
        `\n${final.diff?.files ?? 0} files changed; artifacts in ${engine.store.paths(task.id).artifacts}`,
      ),
    )
    return 0
  }
  if (final.error)
    console.error(terminalText(`\n${final.error.message}${final.error.hint ? `\n${final.error.hint}` : ''}`))
  return interrupted ? 130 : 1
}

interface CommandLine {
  source: TaskSource
  prompt: string
  model: string
  focus: string[]
  setupScript?: string
  limits: { timeLimitMs?: number; maxSteps?: number }
  dataDir: string
  allowLocalHttp: boolean
  json: boolean
}

function parseCommandLine(): CommandLine | undefined {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      folder: { type: 'string' },
      zip: { type: 'string' },
      git: { type: 'string' },
      branch: { type: 'string' },
      model: { type: 'string' },
      focus: { type: 'string', multiple: true },
      setup: { type: 'string' },
      'time-limit': { type: 'string' },
      'max-steps': { type: 'string' },
      'data-dir': { type: 'string' },
      'allow-local-http': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const sources = [values.folder, values.zip, values.git].filter(Boolean)
  const prompt = positionals.join(' ').trim()
  if (values.help || sources.length !== 1 || !prompt) {
    console.error(values.help ? USAGE : `Give exactly one source and a task description.\n\n${USAGE}`)
    return undefined
  }
  const source: TaskSource = values.folder
    ? { kind: 'folder', path: resolve(values.folder) }
    : values.zip
      ? { kind: 'zip', path: resolve(values.zip) }
      : { kind: 'git', url: values.git!, branch: values.branch }
  const minutes = values['time-limit'] ? Number(values['time-limit']) : undefined
  const steps = values['max-steps'] ? Number(values['max-steps']) : undefined
  return {
    source,
    prompt,
    model: values.model || process.env.OPENAI_MODEL || defaultSettings().model,
    focus: values.focus ?? [],
    setupScript: values.setup,
    limits: {
      timeLimitMs: minutes !== undefined ? Math.round(minutes * 60_000) : undefined,
      maxSteps: steps,
    },
    dataDir: resolve(
      values['data-dir'] || process.env.CODEX_DATA_DIR || join(homedir(), '.local/share/codex-sys'),
    ),
    allowLocalHttp: Boolean(values['allow-local-http']) || process.env.CODEX_ALLOW_LOCAL_HTTP_GIT === '1',
    json: Boolean(values.json),
  }
}

async function loadSetupScript(args: CommandLine): Promise<CommandLine> {
  if (!args.setupScript) return args
  return { ...args, setupScript: await readFile(args.setupScript, 'utf8') }
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    const error = toErrorData(err)
    console.error(terminalText(`${error.message}${error.hint ? `\n${error.hint}` : ''}`))
    process.exit(1)
  })
