import { NETWORK_PHASES } from '../../../../shared/network'
import type { SubmitTaskInput, TaskSource } from '../../../../shared/task'
import { phaseFromDraft } from '../../lib/network'
import type { Draft } from './draft'
import { gitUrlProblem } from './git-url'

export interface DraftErrors {
  source?: string
  gitBranch?: string
  prompt?: string
  timeLimit?: string
  focusFiles?: string
  title?: string
  setupNetwork?: string
  agentNetwork?: string
}

export function parseFocusFiles(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ]
}

function branchProblem(branch: string): string | undefined {
  if (!branch) return undefined
  if (/\s/.test(branch) || branch.startsWith('-') || branch.includes('..') || /[~^:?*[\\]/.test(branch)) {
    return 'Not a valid branch name.'
  }
  return undefined
}

function source(draft: Draft, errors: DraftErrors, opts: Options): TaskSource | undefined {
  switch (draft.tab) {
    case 'folder': {
      const path = draft.folderPath.trim()
      if (!path) errors.source = opts.desktop ? 'Choose a folder.' : 'Type the folder’s path on the server.'
      return path ? { kind: 'folder', path } : undefined
    }
    case 'zip':
      if (draft.zipBusy) errors.source = 'Wait until the ZIP is uploaded.'
      else if (!draft.zip) errors.source = 'Drop a .zip file on the window, or choose one.'
      return draft.zip && !draft.zipBusy ? { kind: 'zip', path: draft.zip.path } : undefined
    case 'git': {
      const url = draft.gitUrl.trim()
      const branch = draft.gitBranch.trim()
      errors.source = gitUrlProblem(url, { allowLocalHttp: opts.allowLocalHttp })
      errors.gitBranch = branchProblem(branch)
      if (errors.source || errors.gitBranch) return undefined
      return branch ? { kind: 'git', url, branch } : { kind: 'git', url }
    }
  }
}

interface Options {
  desktop: boolean
  allowLocalHttp: boolean
}

/** The submit input of a draft, or what to fix first (field by field). */
export function buildSubmitInput(
  draft: Draft,
  opts: Options,
): { errors: DraftErrors; input?: SubmitTaskInput } {
  const errors: DraftErrors = {}
  const src = source(draft, errors, opts)
  const prompt = draft.prompt.trim()
  if (!prompt) errors.prompt = 'Describe what the agent should do.'

  const input: SubmitTaskInput = { source: src ?? { kind: 'folder', path: '-' }, prompt }
  const title = draft.title.trim()
  if (title.length > 200) errors.title = 'At most 200 characters.'
  else if (title) input.title = title
  const focus = parseFocusFiles(draft.focusFiles)
  if (focus.length > 100) errors.focusFiles = 'At most 100 files.'
  else if (focus.length) input.focusFiles = focus
  const model = draft.model.trim()
  if (model) input.model = model
  if (draft.runtime) input.runtime = draft.runtime
  if (draft.reasoningEffort) input.reasoningEffort = draft.reasoningEffort
  if (draft.refreshSetup) input.refreshSetup = true
  if (draft.engine) input.engine = draft.engine
  if (draft.timeLimitMin.trim()) {
    const minutes = Number(draft.timeLimitMin)
    if (!Number.isFinite(minutes) || minutes < 1 || minutes > 24 * 60) {
      errors.timeLimit = 'Between 1 and 1440 minutes.'
    } else {
      input.limits = { timeLimitMs: Math.round(minutes * 60_000) }
    }
  }
  if (draft.setupScript.trim()) input.setupScript = draft.setupScript
  // Only the phases the user changed: the engine fills the others from Settings' defaults at submit.
  for (const phase of NETWORK_PHASES) {
    const chosen = draft.network[phase]
    if (!chosen) continue
    const { value, error } = phaseFromDraft(chosen)
    if (error) errors[phase === 'setup' ? 'setupNetwork' : 'agentNetwork'] = error
    else if (value) input.network = { ...input.network, [phase]: value }
  }

  const clean = Object.fromEntries(Object.entries(errors).filter(([, v]) => v)) as DraftErrors
  return Object.keys(clean).length || !src ? { errors: clean } : { errors: clean, input }
}
