import { z } from 'zod'
import type { CallName } from './channels'
import type { DiffResult } from './diff'
import type { TaskEvent } from './events'
import { hostPatternSchema, phaseNetworkSchema, type NetworkPhase, type PhaseNetwork } from './network'
import type { EngineStatus } from './engines'
import { settingsPatchSchema, type Settings, type SetupCacheUsage } from './settings'
import {
  SECRET_NAMES,
  type GitHubStatus,
  type RepoPage,
  type SecretsStatus,
  type SystemStatus,
} from './system'
import {
  commentInputSchema,
  diffInputSchema,
  discardInputSchema,
  hunkExclusionSchema,
  requestChangesInputSchema,
  taskId,
} from './review'
import { submitTaskInputSchema, type TaskOutcome, type TaskRecord } from './task'

export { CALL_NAMES, EVENT_CHANNEL, type CallName } from './channels'

const none = z.object({}).strict()

/** Artifacts a user can open from a task as text (logs, the patch, the prompt, the summary, an export). */
export const ARTIFACT_NAMES = [
  'agent.log',
  'setup.log',
  'diff.patch',
  'prompt.md',
  'summary.md',
  'export.patch',
] as const
export type ArtifactName = (typeof ARTIFACT_NAMES)[number]
/** Everything a task's files can be downloaded as (the server's /api/logs route): text artifacts and the ZIP. */
export const DOWNLOAD_NAMES = [...ARTIFACT_NAMES, 'export.zip'] as const
export type DownloadName = (typeof DOWNLOAD_NAMES)[number]

/** A branch name git and GitHub accept (the rules of `git check-ref-format`, simplified and stricter). */
const branchName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^(?![-/.])(?!.*(?:\.\.|\/\/|@\{|\.lock$|\/$|\.$))[A-Za-z0-9._/-]+$/, 'Not a valid branch name')

export const publishInputSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('pull_request'),
      id: taskId,
      branch: branchName.optional(),
      title: z.string().trim().min(1, 'Give the pull request a title').max(256),
      body: z.string().max(65_536).default(''),
      draft: z.boolean().default(false),
      /** Open it from the user's fork (when they cannot push to the repository). */
      fork: z.boolean().default(false),
    })
    .strict(),
  z.object({ kind: z.literal('push'), id: taskId, branch: branchName.optional() }).strict(),
  z
    .object({
      kind: z.literal('apply'),
      id: taskId,
      /** 'files': write into the folder; 'branch': commit on a new branch of the folder's git repository. */
      mode: z.enum(['files', 'branch']),
      branch: branchName.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('export'), id: taskId, format: z.enum(['patch', 'zip']) }).strict(),
])
export type PublishInput = z.input<typeof publishInputSchema>

/**
 * Host patterns from text (`a.example.com, *.b.example.org:8443`, or one per line), each checked with
 * `hostPatternSchema`: the patterns as the schema normalizes them (trimmed, lowercase, no repeats) and the
 * entries that are not patterns.
 */
export function parseHostList(text: string): { hosts: string[]; bad: string[] } {
  const hosts: string[] = []
  const bad: string[] = []
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const parsed = hostPatternSchema.safeParse(entry)
    if (!parsed.success) bad.push(entry)
    else if (!hosts.includes(parsed.data)) hosts.push(parsed.data)
  }
  return { hosts, bad }
}

/** What the network MODE of the CLI and the seed API can be, for help and error texts. */
export const NETWORK_ARG_SYNTAX =
  'off, registries, full, or a comma-separated list of host patterns (custom), e.g. api.example.com,*.example.org:8443'

/**
 * The network MODE of the CLI (`--setup-network`, `--agent-network`) and the seed API's form fields
 * (`setup_network`, `agent_network`): `off`, `registries`, `full`, or a comma-separated list of host
 * patterns (`custom`); `registries,HOST,…` is the registries plus those hosts. Not read-only (see
 * `networkInput`). The result is checked with `phaseNetworkSchema`.
 */
export function parseNetworkArg(
  text: string,
): { ok: true; value: PhaseNetwork } | { ok: false; message: string } {
  const fail = (message: string): { ok: false; message: string } => ({ ok: false, message })
  const words = text
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean)
  if (!words.length) return fail(`No network mode given: use ${NETWORK_ARG_SYNTAX}.`)
  const first = words[0]!.toLowerCase()
  let mode: PhaseNetwork['mode'] = 'custom'
  let rest = words
  if (first === 'off' || first === 'full') {
    if (words.length > 1) return fail(`"${first}" takes no hosts: give ${first} alone, or only the hosts.`)
    mode = first
    rest = []
  } else if (first === 'registries') {
    mode = 'registries'
    rest = words.slice(1)
  } else if (first === 'custom') {
    return fail('For a custom allowlist, give the hosts themselves: api.example.com,*.example.org.')
  }
  const { hosts, bad } = parseHostList(rest.join(','))
  if (bad.length) {
    return fail(
      `Not a host pattern: ${bad.map((b) => JSON.stringify(b)).join(', ')}. Use ${NETWORK_ARG_SYNTAX}.`,
    )
  }
  const parsed = phaseNetworkSchema.safeParse({ mode, hosts, readOnly: false })
  if (!parsed.success) return fail(parsed.error.issues.map((i) => i.message).join('; '))
  return { ok: true, value: parsed.data }
}

/**
 * The `network` of a submit from the phases given as MODEs (the others take Settings' defaults in the
 * engine). A read-only switch covers both phases, so a phase not given gets its default made read-only
 * (sent explicitly); it is refused when no phase is proxied (off and full have no proxy to enforce it).
 */
export function networkInput(
  given: Partial<Record<NetworkPhase, PhaseNetwork>>,
  opts: { readOnly: boolean; defaults: Record<NetworkPhase, PhaseNetwork> },
): { ok: true; value?: Partial<Record<NetworkPhase, PhaseNetwork>> } | { ok: false; message: string } {
  const network = { ...given }
  if (opts.readOnly) {
    for (const phase of ['setup', 'agent'] as const) {
      const base = network[phase] ?? opts.defaults[phase]
      network[phase] = { ...base, readOnly: base.mode === 'registries' || base.mode === 'custom' }
    }
    if (!network.setup?.readOnly && !network.agent?.readOnly) {
      return {
        ok: false,
        message:
          'Read-only needs a phase whose network is registries or custom: no proxy sees the requests of off or full.',
      }
    }
  }
  return { ok: true, value: network.setup || network.agent ? network : undefined }
}

/**
 * Every call between the UI and the engine: its input schema (validated on the engine's side of every
 * transport) and its output type. The preload exposes exactly these names; the headless server binds the
 * same list to HTTP routes.
 */
export const calls = {
  'tasks.submit': submitTaskInputSchema,
  'tasks.list': none,
  'tasks.get': z.object({ id: taskId }).strict(),
  'tasks.cancel': z.object({ id: taskId }).strict(),
  'tasks.followUp': z.object({ id: taskId, prompt: z.string().trim().min(1).max(100_000) }).strict(),
  /**
   * Goes on with an interrupted task, or one that failed for a reason outside it (Docker, the model API, the
   * disk): the workspace and the conversation so far are kept, a new container starts (see resumeCheck).
   */
  'tasks.resume': z.object({ id: taskId }).strict(),
  'tasks.events': z.object({ id: taskId, afterSeq: z.number().int().min(-1).optional() }).strict(),
  /** The whole task's diff (baseline → now), or one turn's own (`turn`: its start → its end). */
  'tasks.diff': diffInputSchema,
  'tasks.artifact': z.object({ id: taskId, name: z.enum(ARTIFACT_NAMES) }).strict(),
  /**
   * What is left out of what gets published: whole files (workspace-relative paths) and, when `hunks` is
   * given, hunks or lines of the others (replacing the saved ones; kept as they are when absent).
   */
  'tasks.setExcluded': z
    .object({
      id: taskId,
      paths: z.array(z.string().min(1).max(4096)).max(100_000),
      hunks: z.array(hunkExclusionSchema).max(100_000).optional(),
    })
    .strict(),
  /** Adds, edits, deletes or (re)opens a comment on the diff. */
  'tasks.comment': commentInputSchema,
  /** Reverts a file, a hunk or lines of one in the workspace (no turn running); undoable until the next turn. */
  'tasks.discard': discardInputSchema,
  /** Undoes the latest discard not undone yet. */
  'tasks.undoDiscard': z.object({ id: taskId }).strict(),
  /**
   * "Request changes": a follow-up turn whose message is built from the review — the note, the open
   * comments with their code, the excluded and discarded hunks with their reasons and patches.
   */
  'tasks.requestChanges': requestChangesInputSchema,
  /** Saves an edit of a changed file (the review's right-hand side) into the workspace. */
  'tasks.saveFile': z
    .object({ id: taskId, path: z.string().min(1).max(4096), content: z.string().max(20 * 1024 ** 2) })
    .strict(),
  'tasks.publish': publishInputSchema,
  /**
   * "Allow for this task and retry": lets the task reach `host` (a host pattern, `host` or `host:port`) from
   * now on, on top of its network policy; the running phase's proxy applies it at once.
   */
  'tasks.allowHost': z.object({ id: taskId, host: hostPatternSchema }).strict(),
  'settings.get': none,
  'settings.update': settingsPatchSchema,
  'secrets.status': none,
  'secrets.set': z
    .object({ name: z.enum(SECRET_NAMES), value: z.string().trim().min(1).max(10_000) })
    .strict(),
  'secrets.delete': z.object({ name: z.enum(SECRET_NAMES) }).strict(),
  /**
   * The user's confirmation that a stored secret may be sent to `endpoint` (as `secrets.status` reported
   * it): refused unless that is the endpoint the settings name now.
   */
  'secrets.allowEndpoint': z
    .object({ name: z.enum(SECRET_NAMES), endpoint: z.string().trim().min(1).max(2048) })
    .strict(),
  'system.status': none,
  'system.buildImage': none,
  'system.engines': none,
  'system.setupCache': none,
  'system.clearSetupCache': none,
  'github.status': none,
  'github.repos': z
    .object({
      page: z.number().int().min(1).max(1000).default(1),
      query: z.string().trim().max(200).optional(),
    })
    .strict(),
  'dialog.pickFolder': none,
  'dialog.pickZip': none,
  /** Desktop: asks where to save an export and copies it there; null when the user cancelled. */
  'dialog.saveExport': z.object({ id: taskId, format: z.enum(['patch', 'zip']) }).strict(),
  'shell.openExternal': z.object({ url: z.url({ protocol: /^https?$/ }) }).strict(),
} as const satisfies Record<CallName, z.ZodType>

export interface CallOutputs {
  'tasks.submit': TaskRecord
  'tasks.list': TaskRecord[]
  'tasks.get': TaskRecord
  'tasks.cancel': TaskRecord
  'tasks.followUp': TaskRecord
  'tasks.resume': TaskRecord
  'tasks.events': TaskEvent[]
  'tasks.diff': DiffResult
  'tasks.artifact': { name: ArtifactName; content: string | null }
  'tasks.setExcluded': TaskRecord
  'tasks.comment': TaskRecord
  'tasks.discard': TaskRecord
  'tasks.undoDiscard': TaskRecord
  'tasks.requestChanges': TaskRecord
  'tasks.saveFile': TaskRecord
  'tasks.publish': TaskOutcome
  'tasks.allowHost': TaskRecord
  'settings.get': Settings
  'settings.update': Settings
  'secrets.status': SecretsStatus
  'secrets.set': SecretsStatus
  'secrets.delete': SecretsStatus
  'secrets.allowEndpoint': SecretsStatus
  'system.status': SystemStatus
  'system.buildImage': { tag: string }
  /** Every engine (the local one first): whether it answers, and the tasks on it. */
  'system.engines': EngineStatus[]
  /** The saved setups and the bytes they hold. */
  'system.setupCache': SetupCacheUsage
  /** How many saved setups were removed. */
  'system.clearSetupCache': { entries: number }
  'github.status': GitHubStatus
  'github.repos': RepoPage
  /** null when the user closed the dialog. */
  'dialog.pickFolder': string | null
  'dialog.pickZip': string | null
  'dialog.saveExport': string | null
  'shell.openExternal': null
}

export type CallInput<N extends CallName> = z.input<(typeof calls)[N]>
export type CallOutput<N extends CallName> = CallOutputs[N]
