import { useSyncExternalStore } from 'react'
import type { NetworkPhase } from '../../../../shared/network'
import type { AgentRuntime, ReasoningEffort } from '../../../../shared/task'
import type { PhaseDraft } from '../../lib/network'

export type SourceTab = 'folder' | 'zip' | 'git'

/** The new-task form, kept while the user visits other pages (and filled by drops on the window). */
export interface Draft {
  tab: SourceTab
  folderPath: string
  zip?: { path: string; name: string; size?: number }
  /** A picked or dropped ZIP is being handed over (uploaded, in a browser). */
  zipBusy: boolean
  gitUrl: string
  gitBranch: string
  prompt: string
  title: string
  /** Comma or newline separated. */
  focusFiles: string
  /** Empty: the default from Settings. */
  model: string
  /** '': the default from Settings; else an AgentRuntime. */
  runtime: '' | AgentRuntime
  /** '': the default from Settings (else the model's); else a ReasoningEffort. */
  reasoningEffort: '' | ReasoningEffort
  refreshSetup: boolean
  /** '': whichever engine has a free slot; else an engine's id (Settings → Engines). */
  engine: string
  /** Minutes; empty: the default from Settings. */
  timeLimitMin: string
  setupScript: string
  /** The phases whose network the user chose for this task; the others follow Settings' defaults. */
  network: Partial<Record<NetworkPhase, PhaseDraft>>
  optionsOpen: boolean
  /** What went wrong with the last drop or pick (not a ZIP, no path…). */
  sourceError?: string
}

export const emptyDraft = (): Draft => ({
  tab: 'folder',
  folderPath: '',
  zipBusy: false,
  gitUrl: '',
  gitBranch: '',
  prompt: '',
  title: '',
  focusFiles: '',
  model: '',
  runtime: '',
  reasoningEffort: '',
  refreshSetup: false,
  engine: '',
  timeLimitMin: '',
  setupScript: '',
  network: {},
  optionsOpen: false,
})

let draft: Draft = emptyDraft()
const listeners = new Set<() => void>()

export function updateDraft(patch: Partial<Draft>): void {
  draft = { ...draft, ...patch }
  for (const listener of listeners) listener()
}

export function getDraft(): Draft {
  return draft
}

/** After a submit: a fresh form that keeps the folder or Git source (often the next task's too). */
export function resetDraftAfterSubmit(): void {
  const keep =
    draft.tab === 'zip'
      ? { tab: 'zip' as const }
      : {
          tab: draft.tab,
          folderPath: draft.folderPath,
          gitUrl: draft.gitUrl,
          gitBranch: draft.gitBranch,
        }
  draft = { ...emptyDraft(), ...keep }
  for (const listener of listeners) listener()
}

const subscribe = (listener: () => void): (() => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function useDraft(): Draft {
  return useSyncExternalStore(subscribe, getDraft)
}
