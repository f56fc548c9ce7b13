import { useSyncExternalStore } from 'react'
import type { AppErrorData } from '../../../shared/errors'
import type { AppEvent } from '../../../shared/events'
import type { DockerStatus, SystemStatus } from '../../../shared/system'
import { api } from './api'
import { settle } from './errors'

export interface SystemSnapshot {
  /** The last answer of `system.status`; undefined before the first one. */
  status?: SystemStatus
  /** Set when the call itself failed (the engine or server did not answer). */
  error?: AppErrorData
  checking: boolean
  /** When the last check finished (ms since epoch). */
  checkedAt?: number
}

/**
 * Docker and agent-image status, shared by the Docker screen, the banner and Settings. The engine pushes
 * each Docker edge (gone, back) as an event: the status changes at once, then a check fills in the rest.
 */
class SystemStore {
  private snapshot: SystemSnapshot = { checking: false }
  private readonly listeners = new Set<() => void>()
  private inFlight: Promise<void> | undefined

  constructor() {
    api.onEvent((event: AppEvent) => {
      if (event.kind !== 'docker') return
      const status = this.snapshot.status
      if (status)
        this.set({ ...this.snapshot, status: { ...status, docker: dockerAfter(status.docker, event) } })
      // A check already under way may have asked before the edge: ask again after it.
      void (this.inFlight ?? Promise.resolve()).then(() => this.refresh())
    })
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): SystemSnapshot => this.snapshot

  /** Asks the engine again; concurrent calls share one request. */
  refresh(): Promise<void> {
    this.inFlight ??= this.check().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  private async check(): Promise<void> {
    this.set({ ...this.snapshot, checking: true })
    const result = await settle(() => api['system.status']({}))
    this.set(
      result.ok
        ? { status: result.value, checking: false, checkedAt: Date.now() }
        : { status: this.snapshot.status, error: result.error, checking: false, checkedAt: Date.now() },
    )
  }

  private set(next: SystemSnapshot): void {
    this.snapshot = next
    for (const listener of this.listeners) listener()
  }
}

/** The Docker status an edge event implies, until the next check says more. */
function dockerAfter(docker: DockerStatus, event: Extract<AppEvent, { kind: 'docker' }>): DockerStatus {
  if (event.reachable) return { ...docker, reachable: true, state: 'ready', error: undefined }
  return { ...docker, reachable: false, state: 'not_running', error: event.error }
}

let store: SystemStore | undefined
export const systemStore = (): SystemStore => (store ??= new SystemStore())

export function useSystem(): SystemSnapshot {
  const s = systemStore()
  return useSyncExternalStore(s.subscribe, s.getSnapshot)
}
