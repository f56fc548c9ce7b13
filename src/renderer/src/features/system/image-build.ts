import { useSyncExternalStore } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { systemStore } from '../../lib/system'

export interface ImageBuildSnapshot {
  /** True between "Build" and its answer (a build started elsewhere shows in `system.status`). */
  building: boolean
  ratio?: number
  /** The latest lines of the build output (at most 200). */
  lines: string[]
  error?: AppErrorData
  builtTag?: string
}

const MAX_LINES = 200

/** The agent image build: started from Settings or the banner, fed by `{ kind: 'image' }` events. */
class ImageBuildStore {
  private snapshot: ImageBuildSnapshot = { building: false, lines: [] }
  private readonly listeners = new Set<() => void>()

  constructor() {
    api.onEvent((event) => {
      if (event.kind !== 'image') return
      const { line, ratio } = event.progress
      const lines = line ? this.snapshot.lines.concat(line).slice(-MAX_LINES) : this.snapshot.lines
      this.set({ ...this.snapshot, lines, ratio: ratio ?? this.snapshot.ratio })
      // A build started elsewhere (a task waiting on the image): let the status say so, now and when done.
      if (!this.snapshot.building) this.refreshSoon()
    })
  }

  private refreshTimer: ReturnType<typeof setTimeout> | undefined
  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined
      void systemStore().refresh()
    }, 2_000)
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): ImageBuildSnapshot => this.snapshot

  async build(): Promise<void> {
    if (this.snapshot.building) return
    this.set({ building: true, lines: [], ratio: 0 })
    void systemStore().refresh()
    const result = await settle(() => api['system.buildImage']({}))
    this.set(
      result.ok
        ? { ...this.snapshot, building: false, ratio: 1, builtTag: result.value.tag, error: undefined }
        : { ...this.snapshot, building: false, error: result.error },
    )
    await systemStore().refresh()
  }

  private set(next: ImageBuildSnapshot): void {
    this.snapshot = next
    for (const listener of this.listeners) listener()
  }
}

let store: ImageBuildStore | undefined
export const imageBuildStore = (): ImageBuildStore => (store ??= new ImageBuildStore())

export function useImageBuild(): ImageBuildSnapshot {
  const s = imageBuildStore()
  return useSyncExternalStore(s.subscribe, s.getSnapshot)
}
