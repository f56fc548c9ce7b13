import { useSyncExternalStore } from 'react'
import type { AppErrorData, Result } from '../../../shared/errors'
import type { Settings, SettingsPatch } from '../../../shared/settings'
import { api } from './api'
import { settle } from './errors'

export interface SettingsSnapshot {
  settings?: Settings
  error?: AppErrorData
}

/** The engine's settings, loaded once and replaced by every successful update (theme, defaults). */
class SettingsStore {
  private snapshot: SettingsSnapshot = {}
  private readonly listeners = new Set<() => void>()

  constructor() {
    void this.reload()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): SettingsSnapshot => this.snapshot

  async reload(): Promise<void> {
    const result = await settle(() => api['settings.get']({}))
    this.set(result.ok ? { settings: result.value } : { ...this.snapshot, error: result.error })
  }

  async update(patch: SettingsPatch): Promise<Result<Settings>> {
    const result = await settle(() => api['settings.update'](patch))
    if (result.ok) this.set({ settings: result.value })
    return result
  }

  private set(next: SettingsSnapshot): void {
    this.snapshot = next
    for (const listener of this.listeners) listener()
  }
}

let store: SettingsStore | undefined
export const settingsStore = (): SettingsStore => (store ??= new SettingsStore())

export function useSettings(): SettingsSnapshot {
  const s = settingsStore()
  return useSyncExternalStore(s.subscribe, s.getSnapshot)
}
