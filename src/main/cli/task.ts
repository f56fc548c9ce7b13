/**
 * Command-line entry: run one task and print its events as they happen, then the diff.
 *
 *   npm run task -- --folder ./repo "add a README"
 *   npm run task -- --zip code.zip "fix the failing test"
 *   npm run task -- --git https://github.com/o/r.git --branch dev "update the docs"
 *   npm run task -- --folder ./repo --runtime codex "add a README"
 *   npm run task -- --request-changes ID --note "also add a test"   (and --comment: see task-review.ts)
 *   npm run task -- --resume ID   (an interrupted task goes on where it stopped: see task-review.ts)
 *
 * Reads the key from OPENAI_API_KEY, the endpoint from OPENAI_BASE_URL, the model from --model or
 * OPENAI_MODEL. Exit code 0 when the task reaches review, 1 when it fails, 2 for bad arguments,
 * 130 when interrupted (Ctrl+C cancels the task and removes its container).
 *
 * Everything printed passes through terminal-text.ts: control characters in tool output, patches, names
 * and messages are shown (`␛`, `⟨U+009B⟩`), never sent to the terminal; `--json` lines escape them.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { networkInput, parseNetworkArg } from '../../shared/contract'
import type { ProgressPhase, TaskEvent } from '../../shared/events'
import type { NetworkPhase, PhaseNetwork } from '../../shared/network'
import { defaultSettings, settingsSchema, type Settings } from '../../shared/settings'
import {
  AGENT_RUNTIMES,
  agentRuntimeSchema,
  isSettled,
  type AgentRuntime,
  type SubmitTaskInput,
  type TaskSource,
} from '../../shared/task'
import { defaultBaseImage } from '../docker/image'
import { TaskEngine } from '../engine/task-engine'
import { toErrorData } from '../errors'
import { agentImageDir, defaultDataDir } from './paths'
import {
  parseReviewCommand,
  reportTaskEnd,
  REVIEW_USAGE,
  runReviewCommand,
  type ReviewCommand,
} from './task-review'
import { eventText, terminalText } from './terminal-text'

const USAGE = `Usage: npm run task -- (--folder DIR | --zip FILE | --git URL [--branch B]) [options] "task description"
       npm run task -- --comment ID … | --request-changes ID [--note TEXT] | --resume ID   (see below)

Options:
  --model M            model name (default: $OPENAI_MODEL, else ${defaultSettings().model})
  --runtime R          builtin (the built-in agent loop; default) or codex (OpenAI's Codex CLI, run in
                       the sandbox; its model calls pass the host's model proxy; needs the Responses API)
  --focus FILE         a file to focus on (repeatable)
  --setup FILE         a setup script to run before the agent, instead of the repo's setup.sh
  --setup-network MODE the setup phase's network (default: registries, plus the host a Git source is
                       cloned from)
  --agent-network MODE the agent phase's network (default: off)
  --read-only-network  only GET, HEAD and OPTIONS pass, in the phases whose MODE is registries or custom
  --time-limit MIN     minutes before the task is stopped (default 30)
  --max-steps N        most model calls (default 50)
  --data-dir DIR       where tasks are kept (default: $CODEX_DATA_DIR, else ~/.local/share/codex-sys;
                       on Windows %LOCALAPPDATA%\\codex-sys)
  --allow-local-http   accept http://127.0.0.1 and http://localhost Git URLs
  --json               print events as JSON lines instead of text
  -h, --help           print this help
MODE: off (no network), registries (the package registries: npm, PyPI, crates.io, …), full (every address,
  on a bridge of its own), or a comma-separated list of host patterns (custom): example.com,
  *.example.com (its subdomains), example.com:8443 (without a port: 80 and 443). registries,HOST,…
  allows the registries and those hosts. In every mode but full, requests pass a policy proxy; each
  one it refuses is printed as "Blocked: HOST:PORT — why".
Environment: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_MODEL, GITHUB_TOKEN (private clones),
  CODEX_BASE_IMAGE (base of the agent image; default ${defaultBaseImage()}).

${REVIEW_USAGE}`

async function main(): Promise<number> {
  const review = parseReviewCommand(process.argv.slice(2))
  if (review && !review.ok && review.help) {
    console.log(USAGE)
    return 0
  }
  if (review && !review.ok) {
    console.error(terminalText(`${review.message}\n\n${USAGE}`))
    return 2
  }
  if (review) return reviewMain(review.value)
  const parsed = parseCommandLine(process.argv.slice(2))
  if (!parsed.ok && parsed.help) {
    console.log(USAGE)
    return 0
  }
  if (!parsed.ok) {
    console.error(terminalText(`${parsed.message}\n\n${USAGE}`))
    return 2
  }
  const args = await loadSetupScript(parsed.value)
  const settings = settingsSchema.parse({
    ...defaultSettings(),
    model: args.model,
    baseUrl: process.env.OPENAI_BASE_URL || undefined,
    allowLocalHttpGit: args.allowLocalHttp,
  })
  const input = submitInput(args, settings)
  if (!input.ok) {
    console.error(terminalText(`${input.message}\n\n${USAGE}`))
    return 2
  }
  const engine = await openEngine(args.dataDir, settings)
  // Subscribed before submitting, so that the first events (queued) are printed too.
  const watched: { id?: string } = {}
  const early: TaskEvent[] = []
  let settle: () => void = () => undefined
  const settled = new Promise<void>((done) => (settle = done))
  const write = eventPrinter((text) => process.stdout.write(text), { json: args.json })
  const print = (event: TaskEvent): void => {
    write(event)
    if (event.type === 'status' && isSettled(event.status)) settle()
  }
  engine.subscribe((event: TaskEvent) => {
    if (watched.id === undefined) early.push(event)
    else if (event.taskId === watched.id) print(event)
  })
  const task = await engine.submit(input.value)
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
  const output = {
    out: (text: string) => process.stdout.write(text),
    err: (text: string) => console.error(text),
  }
  return reportTaskEnd(engine, task.id, args.json, output, interrupted)
}

function openEngine(dataDir: string, settings: Settings): Promise<TaskEngine> {
  return TaskEngine.open({
    dataDir,
    settings: () => settings,
    apiKey: async () => process.env.OPENAI_API_KEY || undefined,
    githubToken: async () => process.env.GITHUB_TOKEN || undefined,
    agentImage: { contextDir: agentImageDir(), baseImage: defaultBaseImage() },
  })
}

/** A comment or "Request changes" on a task of the data dir (task-review.ts). */
async function reviewMain(command: ReviewCommand): Promise<number> {
  const settings = settingsSchema.parse({
    ...defaultSettings(),
    baseUrl: process.env.OPENAI_BASE_URL || undefined,
  })
  const engine = await openEngine(command.dataDir, settings)
  return runReviewCommand(engine, command, {
    event: eventPrinter((text) => process.stdout.write(text), { json: command.json }),
    out: (text) => process.stdout.write(text),
    err: (text) => console.error(text),
    onInterrupt: (cancel) =>
      process.once('SIGINT', () => {
        console.error('\ncancelling…')
        cancel()
      }),
  })
}

export interface CommandLine {
  source: TaskSource
  prompt: string
  model: string
  runtime?: AgentRuntime
  focus: string[]
  setupScript?: string
  limits: { timeLimitMs?: number; maxSteps?: number }
  /** The phases given on the command line; the others take Settings' defaults. */
  network: Partial<Record<NetworkPhase, PhaseNetwork>>
  /** `--read-only-network`: applied to the phases not given too (their defaults), in `submitInput`. */
  readOnlyNetwork: boolean
  dataDir: string
  allowLocalHttp: boolean
  json: boolean
}

export type ParsedCommandLine =
  { ok: true; value: CommandLine } | { ok: false; message: string; help?: boolean }

/** The command line, checked: a message saying what is wrong (the caller prints it with the usage, exit 2). */
export function parseCommandLine(argv: string[]): ParsedCommandLine {
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions(argv)
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
  const { values, positionals } = parsed
  if (values.help) return { ok: false, message: '', help: true }
  const sources = [values.folder, values.zip, values.git].filter(Boolean)
  const prompt = positionals.join(' ').trim()
  if (sources.length !== 1 || !prompt) {
    return { ok: false, message: 'Give exactly one source and a task description.' }
  }
  const source: TaskSource = values.folder
    ? { kind: 'folder', path: resolve(values.folder) }
    : values.zip
      ? { kind: 'zip', path: resolve(values.zip) }
      : { kind: 'git', url: values.git!, branch: values.branch }
  const runtime = values.runtime === undefined ? undefined : agentRuntimeSchema.safeParse(values.runtime)
  if (runtime && !runtime.success) {
    return {
      ok: false,
      message: `--runtime: expected ${AGENT_RUNTIMES.join(' or ')}, got "${values.runtime}".`,
    }
  }
  const minutes = values['time-limit'] ? Number(values['time-limit']) : undefined
  const steps = values['max-steps'] ? Number(values['max-steps']) : undefined
  const readOnlyNetwork = Boolean(values['read-only-network'])
  const network: CommandLine['network'] = {}
  for (const phase of ['setup', 'agent'] as const) {
    const text = values[`${phase}-network`]
    if (text === undefined) continue
    const mode = parseNetworkArg(text)
    if (!mode.ok) return { ok: false, message: `--${phase}-network: ${mode.message}` }
    network[phase] = mode.value
  }
  return {
    ok: true,
    value: {
      source,
      prompt,
      model: values.model || process.env.OPENAI_MODEL || defaultSettings().model,
      ...(runtime ? { runtime: runtime.data } : {}),
      focus: values.focus ?? [],
      setupScript: values.setup,
      limits: {
        timeLimitMs: minutes !== undefined ? Math.round(minutes * 60_000) : undefined,
        maxSteps: steps,
      },
      network,
      readOnlyNetwork,
      dataDir: resolve(values['data-dir'] || process.env.CODEX_DATA_DIR || defaultDataDir()),
      allowLocalHttp: Boolean(values['allow-local-http']) || process.env.CODEX_ALLOW_LOCAL_HTTP_GIT === '1',
      json: Boolean(values.json),
    },
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      folder: { type: 'string' },
      zip: { type: 'string' },
      git: { type: 'string' },
      branch: { type: 'string' },
      model: { type: 'string' },
      runtime: { type: 'string' },
      focus: { type: 'string', multiple: true },
      setup: { type: 'string' },
      'setup-network': { type: 'string' },
      'agent-network': { type: 'string' },
      'read-only-network': { type: 'boolean' },
      'time-limit': { type: 'string' },
      'max-steps': { type: 'string' },
      'data-dir': { type: 'string' },
      'allow-local-http': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/** What the CLI submits; refused when `--read-only-network` applies to no phase. */
export function submitInput(
  args: CommandLine,
  settings: Settings,
): { ok: true; value: SubmitTaskInput } | { ok: false; message: string } {
  const network = networkInput(args.network, { readOnly: args.readOnlyNetwork, defaults: settings.network })
  if (!network.ok) return { ok: false, message: `--read-only-network: ${network.message}` }
  return {
    ok: true,
    value: {
      source: args.source,
      prompt: args.prompt,
      model: settings.model,
      ...(args.runtime ? { runtime: args.runtime } : {}),
      focusFiles: args.focus,
      setupScript: args.setupScript,
      limits: args.limits,
      ...(network.value ? { network: network.value } : {}),
    },
  }
}

/**
 * Prints task events as they come: agent.log's lines, and setup output as it streams (indented, chunk by
 * chunk, whether or not a chunk ends a line), all made terminal-safe; or JSON lines.
 */
export function eventPrinter(
  write: (text: string) => void,
  opts: { json: boolean },
): (event: TaskEvent) => void {
  let midLine = false
  let phase: ProgressPhase | undefined
  return (event) => {
    if (opts.json) return write(eventText(event, opts))
    // Seed 003's word for a clone (git's own stages do not say it), once as it begins.
    const cloning = event.type === 'progress' && event.phase === 'clone' && phase !== 'clone'
    phase = event.type === 'progress' ? event.phase : event.type === 'status' ? undefined : phase
    if (cloning && !/^clon/i.test(event.message)) {
      if (midLine) write('\n')
      midLine = false
      write(`${event.at.slice(11, 19)} Cloning…\n`)
    }
    if (event.type === 'log' && event.stream === 'setup') {
      if (!event.text) return
      const text = terminalText(event.text).replace(/\n(?=[^])/g, '\n    ')
      write(midLine ? text : `    ${text}`)
      midLine = !text.endsWith('\n')
      return
    }
    const line = eventText(event, opts)
    if (!line) return
    if (midLine) write('\n')
    midLine = false
    write(line)
  }
}

async function loadSetupScript(args: CommandLine): Promise<CommandLine> {
  if (!args.setupScript) return args
  return { ...args, setupScript: await readFile(args.setupScript, 'utf8') }
}

// Run when started as a program (npm run task), not when a test imports the module.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main()
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      const error = toErrorData(err)
      console.error(terminalText(`${error.message}${error.hint ? `\n${error.hint}` : ''}`))
      process.exit(1)
    })
}
