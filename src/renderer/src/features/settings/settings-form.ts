import { parseHostList } from '../../../../shared/contract'
import { REGISTRY_HOSTS, type NetworkMode, type NetworkPhase } from '../../../../shared/network'
import { settingsPatchSchema, type Settings, type SettingsPatch } from '../../../../shared/settings'
import { humanizeIssue } from '../../lib/errors'
import { phaseFromDraft, toPhaseDraft } from '../../lib/network'

/** The editable settings as the form holds them (text for numbers, so a half-typed value stays). */
export interface SettingsForm {
  model: string
  /** The default agent runtime of a new task: 'builtin' or 'codex' (AGENT_RUNTIMES). */
  runtime: string
  baseUrl: string
  /** The built-in loop's wire API: 'auto', 'chat' or 'responses'. */
  modelApi: string
  /** '' (the model's default) or one of REASONING_EFFORTS. */
  reasoningEffort: string
  streamIdleSeconds: string
  maxSteps: string
  maxTokens: string
  maxCostUsd: string
  timeLimitMin: string
  /** The model's context window in tokens; empty: the built-in table's. */
  contextWindow: string
  maxConcurrentTasks: string
  memoryMb: string
  cpus: string
  pidsLimit: string
  tmpfsMb: string
  maxWorkspaceGb: string
  /** Each phase's default network (see lib/network's PhaseDraft). */
  setupMode: NetworkMode
  setupHosts: string
  setupReadOnly: boolean
  agentMode: NetworkMode
  agentHosts: string
  agentReadOnly: boolean
  /** The `registries` preset, one host pattern per line. */
  registries: string
  caBundlePath: string
  authorName: string
  authorEmail: string
  branchPrefix: string
  githubApiUrl: string
  /** Settings → Docker → Engine; empty: found like the docker CLI finds it. */
  dockerHost: string
  /** Where the prebuilt agent image is pulled from; empty: always build it here. */
  imageRegistry: string
  /** The setup cache's size cap in GiB. */
  setupCacheGb: string
}

export type FormField = keyof SettingsForm
/** The fields a text input edits. */
export type TextField = { [K in FormField]: SettingsForm[K] extends string ? K : never }[FormField]

/** Which form field shows an error about which settings path. */
export const FIELD_PATHS: Record<FormField, string> = {
  model: 'model',
  runtime: 'runtime',
  baseUrl: 'baseUrl',
  modelApi: 'modelApi',
  reasoningEffort: 'reasoningEffort',
  streamIdleSeconds: 'streamIdleSeconds',
  maxSteps: 'limits.maxSteps',
  maxTokens: 'limits.maxTokens',
  maxCostUsd: 'limits.maxCostUsd',
  timeLimitMin: 'limits.timeLimitMs',
  contextWindow: 'limits.contextWindow',
  maxConcurrentTasks: 'maxConcurrentTasks',
  memoryMb: 'sandbox.memoryMb',
  cpus: 'sandbox.cpus',
  pidsLimit: 'sandbox.pidsLimit',
  tmpfsMb: 'sandbox.tmpfsMb',
  maxWorkspaceGb: 'sandbox.maxWorkspaceGb',
  setupMode: 'network.setup.mode',
  setupHosts: 'network.setup.hosts',
  setupReadOnly: 'network.setup.readOnly',
  agentMode: 'network.agent.mode',
  agentHosts: 'network.agent.hosts',
  agentReadOnly: 'network.agent.readOnly',
  registries: 'network.registries',
  caBundlePath: 'network.caBundlePath',
  authorName: 'git.authorName',
  authorEmail: 'git.authorEmail',
  branchPrefix: 'git.branchPrefix',
  githubApiUrl: 'githubApiUrl',
  dockerHost: 'docker.host',
  imageRegistry: 'agentImage.registry',
  setupCacheGb: 'setupCache.maxBytes',
}

const GITHUB_API = 'https://api.github.com'
const GiB = 1024 ** 3

/** The preset as the form shows it: one host per line. */
export const REGISTRIES_PRESET = REGISTRY_HOSTS.join('\n')

export function toForm(s: Settings): SettingsForm {
  return {
    model: s.model,
    runtime: s.runtime,
    baseUrl: s.baseUrl ?? '',
    modelApi: s.modelApi,
    reasoningEffort: s.reasoningEffort ?? '',
    streamIdleSeconds: String(s.streamIdleSeconds),
    maxSteps: String(s.limits.maxSteps),
    maxTokens: String(s.limits.maxTokens),
    maxCostUsd: String(s.limits.maxCostUsd),
    timeLimitMin: String(Math.round((s.limits.timeLimitMs / 60_000) * 100) / 100),
    contextWindow: s.limits.contextWindow ? String(s.limits.contextWindow) : '',
    maxConcurrentTasks: String(s.maxConcurrentTasks),
    memoryMb: String(s.sandbox.memoryMb),
    cpus: String(s.sandbox.cpus),
    pidsLimit: String(s.sandbox.pidsLimit),
    tmpfsMb: String(s.sandbox.tmpfsMb),
    maxWorkspaceGb: String(s.sandbox.maxWorkspaceGb),
    setupMode: s.network.setup.mode,
    setupHosts: toPhaseDraft(s.network.setup).hosts,
    setupReadOnly: s.network.setup.readOnly,
    agentMode: s.network.agent.mode,
    agentHosts: toPhaseDraft(s.network.agent).hosts,
    agentReadOnly: s.network.agent.readOnly,
    registries: s.network.registries.join('\n'),
    caBundlePath: s.network.caBundlePath ?? '',
    authorName: s.git.authorName,
    authorEmail: s.git.authorEmail,
    branchPrefix: s.git.branchPrefix,
    githubApiUrl: s.githubApiUrl,
    dockerHost: s.docker.host ?? '',
    imageRegistry: s.agentImage.registry,
    setupCacheGb: String(Math.round((s.setupCache.maxBytes / GiB) * 100) / 100),
  }
}

export function sameForm(a: SettingsForm, b: SettingsForm): boolean {
  return (Object.keys(a) as FormField[]).every((k) => a[k] === b[k])
}

/** Maps errors keyed by settings path back to form fields (`network.registries.3` to the registries). */
export function errorsByField(byPath: Record<string, string>): Partial<Record<FormField, string>> {
  const out: Partial<Record<FormField, string>> = {}
  for (const [field, path] of Object.entries(FIELD_PATHS) as [FormField, string][]) {
    const key = Object.keys(byPath).find((p) => p === path || p.startsWith(`${path}.`))
    if (key) out[field] = byPath[key]
  }
  return out
}

type NetworkPatch = Omit<NonNullable<SettingsPatch['network']>, 'caBundlePath'> & {
  /** null clears it (the settings store removes a field set to null). */
  caBundlePath: string | null
}

/** The network part of the patch, or the fields to fix. */
function networkPatch(
  form: SettingsForm,
  errors: Partial<Record<FormField, string>>,
): NetworkPatch | undefined {
  const phase = (name: NetworkPhase) => {
    const draft = {
      mode: form[`${name}Mode`],
      hosts: form[`${name}Hosts`],
      readOnly: form[`${name}ReadOnly`],
    }
    const { value, error } = phaseFromDraft(draft)
    if (error) errors[`${name}Hosts`] = error
    return value
  }
  const setup = phase('setup')
  const agent = phase('agent')
  const { hosts: registries, bad } = parseHostList(form.registries)
  if (bad.length) errors.registries = `Not a host pattern: ${bad.map((b) => `“${b}”`).join(', ')}.`
  else if (registries.length > 500) errors.registries = 'At most 500 hosts.'
  if (!setup || !agent || errors.registries) return undefined
  return { setup, agent, registries, caBundlePath: form.caBundlePath.trim() || null }
}

/**
 * The patch for `settings.update` (an empty base URL or CA bundle path clears it; an empty GitHub API URL
 * means GitHub.com), or the fields to fix, checked with the schema the engine uses.
 */
export function formToPatch(form: SettingsForm): {
  patch?: SettingsPatch
  errors: Partial<Record<FormField, string>>
} {
  const errors: Partial<Record<FormField, string>> = {}
  const num = (field: FormField): number => {
    const text = String(form[field]).trim()
    const value = text === '' ? Number.NaN : Number(text)
    if (!Number.isFinite(value)) errors[field] = 'Enter a number.'
    return value
  }
  const baseUrl = form.baseUrl.trim()
  const patch: SettingsPatch = {
    model: form.model.trim(),
    runtime: form.runtime === 'codex' ? 'codex' : 'builtin',
    baseUrl: baseUrl || null,
    modelApi: form.modelApi as Settings['modelApi'],
    // Empty: the model's default (null removes the setting).
    reasoningEffort: (form.reasoningEffort || null) as SettingsPatch['reasoningEffort'],
    streamIdleSeconds: num('streamIdleSeconds'),
    maxConcurrentTasks: num('maxConcurrentTasks'),
    limits: {
      maxSteps: num('maxSteps'),
      maxTokens: num('maxTokens'),
      maxCostUsd: num('maxCostUsd'),
      timeLimitMs: Math.round(num('timeLimitMin') * 60_000),
      // Empty: the built-in table's (null removes the setting).
      contextWindow: form.contextWindow.trim() ? num('contextWindow') : null,
    } as SettingsPatch['limits'],
    sandbox: {
      memoryMb: num('memoryMb'),
      cpus: num('cpus'),
      pidsLimit: num('pidsLimit'),
      tmpfsMb: num('tmpfsMb'),
      maxWorkspaceGb: num('maxWorkspaceGb'),
    },
    network: networkPatch(form, errors) as SettingsPatch['network'],
    git: {
      authorName: form.authorName.trim(),
      authorEmail: form.authorEmail.trim(),
      branchPrefix: form.branchPrefix.trim(),
    },
    // Empty: GitHub.com.
    githubApiUrl: form.githubApiUrl.trim().replace(/\/+$/, '') || GITHUB_API,
    // Empty: found like the docker CLI finds it (null removes the setting).
    docker: { host: form.dockerHost.trim() || null } as SettingsPatch['docker'],
    // Empty: never pull, always build.
    agentImage: { registry: form.imageRegistry.trim() },
    setupCache: { maxBytes: Math.round(num('setupCacheGb') * GiB) },
  }
  const parsed = settingsPatchSchema.safeParse(patch)
  if (!parsed.success) {
    const byPath: Record<string, string> = {}
    for (const issue of parsed.error.issues) byPath[issue.path.join('.')] ??= humanizeIssue(issue.message)
    for (const [field, message] of Object.entries(errorsByField(byPath)) as [FormField, string][]) {
      errors[field] ??= field === 'timeLimitMin' ? 'At least 1 second (enter minutes).' : message
    }
  }
  return Object.keys(errors).length ? { errors } : { patch, errors }
}
