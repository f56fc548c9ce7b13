import { settingsPatchSchema, type Settings, type SettingsPatch } from '../../../../shared/settings'
import { humanizeIssue } from '../../lib/errors'

/** The editable settings as the form holds them (text for numbers, so a half-typed value stays). */
export interface SettingsForm {
  model: string
  baseUrl: string
  maxSteps: string
  maxTokens: string
  maxCostUsd: string
  timeLimitMin: string
  maxConcurrentTasks: string
  memoryMb: string
  cpus: string
  pidsLimit: string
  tmpfsMb: string
  maxWorkspaceGb: string
  setupNetwork: boolean
  authorName: string
  authorEmail: string
  branchPrefix: string
  githubApiUrl: string
}

export type FormField = keyof SettingsForm

/** Which form field shows an error about which settings path. */
export const FIELD_PATHS: Record<FormField, string> = {
  model: 'model',
  baseUrl: 'baseUrl',
  maxSteps: 'limits.maxSteps',
  maxTokens: 'limits.maxTokens',
  maxCostUsd: 'limits.maxCostUsd',
  timeLimitMin: 'limits.timeLimitMs',
  maxConcurrentTasks: 'maxConcurrentTasks',
  memoryMb: 'sandbox.memoryMb',
  cpus: 'sandbox.cpus',
  pidsLimit: 'sandbox.pidsLimit',
  tmpfsMb: 'sandbox.tmpfsMb',
  maxWorkspaceGb: 'sandbox.maxWorkspaceGb',
  setupNetwork: 'sandbox.setupNetwork',
  authorName: 'git.authorName',
  authorEmail: 'git.authorEmail',
  branchPrefix: 'git.branchPrefix',
  githubApiUrl: 'githubApiUrl',
}

const GITHUB_API = 'https://api.github.com'

export function toForm(s: Settings): SettingsForm {
  return {
    model: s.model,
    baseUrl: s.baseUrl ?? '',
    maxSteps: String(s.limits.maxSteps),
    maxTokens: String(s.limits.maxTokens),
    maxCostUsd: String(s.limits.maxCostUsd),
    timeLimitMin: String(Math.round((s.limits.timeLimitMs / 60_000) * 100) / 100),
    maxConcurrentTasks: String(s.maxConcurrentTasks),
    memoryMb: String(s.sandbox.memoryMb),
    cpus: String(s.sandbox.cpus),
    pidsLimit: String(s.sandbox.pidsLimit),
    tmpfsMb: String(s.sandbox.tmpfsMb),
    maxWorkspaceGb: String(s.sandbox.maxWorkspaceGb),
    setupNetwork: s.sandbox.setupNetwork,
    authorName: s.git.authorName,
    authorEmail: s.git.authorEmail,
    branchPrefix: s.git.branchPrefix,
    githubApiUrl: s.githubApiUrl,
  }
}

export function sameForm(a: SettingsForm, b: SettingsForm): boolean {
  return (Object.keys(a) as FormField[]).every((k) => a[k] === b[k])
}

/** Maps errors keyed by settings path back to form fields. */
export function errorsByField(byPath: Record<string, string>): Partial<Record<FormField, string>> {
  const out: Partial<Record<FormField, string>> = {}
  for (const [field, path] of Object.entries(FIELD_PATHS) as [FormField, string][]) {
    if (byPath[path]) out[field] = byPath[path]
  }
  return out
}

/**
 * The patch for `settings.update` (an empty base URL clears it; an empty GitHub API URL means GitHub.com), or the fields to fix, checked with the
 * schema the engine uses.
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
    baseUrl: baseUrl || null,
    maxConcurrentTasks: num('maxConcurrentTasks'),
    limits: {
      maxSteps: num('maxSteps'),
      maxTokens: num('maxTokens'),
      maxCostUsd: num('maxCostUsd'),
      timeLimitMs: Math.round(num('timeLimitMin') * 60_000),
    },
    sandbox: {
      memoryMb: num('memoryMb'),
      cpus: num('cpus'),
      pidsLimit: num('pidsLimit'),
      tmpfsMb: num('tmpfsMb'),
      maxWorkspaceGb: num('maxWorkspaceGb'),
      setupNetwork: form.setupNetwork,
    },
    git: {
      authorName: form.authorName.trim(),
      authorEmail: form.authorEmail.trim(),
      branchPrefix: form.branchPrefix.trim(),
    },
    // Empty: GitHub.com.
    githubApiUrl: form.githubApiUrl.trim().replace(/\/+$/, '') || GITHUB_API,
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
