import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron'
import { vi } from 'vitest'
import {
  defaultSettings,
  settingsSchema,
  type Settings,
  type SettingsPatch,
} from '../../../src/shared/settings'
import { mergeSettings } from '../../../src/main/settings/settings-patch'
import type { TaskEvent } from '../../../src/shared/events'
import type { TaskRecord } from '../../../src/shared/task'
import type { TaskEngine } from '../../../src/main/engine/task-engine'
import type { DesktopService, Services } from '../../../src/main/services'

export const APP_URL = 'app://codex-sys/index.html#/new'

type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown

/** ipcMain as far as bindContract uses it: records every handle() registration. */
export function fakeIpcMain() {
  const handlers = new Map<string, Listener>()
  const ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'> = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      handlers.set(channel, listener)
    },
    removeHandler: (channel) => {
      handlers.delete(channel)
    },
  }
  return { ipcMain, handlers }
}

export interface FakeFrame {
  url: string
  parent: FakeFrame | null
}

/** A BrowserWindow with a web contents (id 1) showing `url` in its main frame. */
export function fakeWindow(url = APP_URL) {
  const mainFrame: FakeFrame = { url, parent: null }
  const sent: Array<{ channel: string; payload: unknown }> = []
  const state = { destroyed: false, url }
  const webContents = {
    id: 1,
    mainFrame,
    getURL: () => state.url,
    send: (channel: string, payload: unknown) => sent.push({ channel, payload }),
  }
  const win = { webContents, isDestroyed: () => state.destroyed }
  return { win: win as unknown as BrowserWindow, webContents, mainFrame, sent, state }
}

/** The event ipcMain hands a handler: which web contents and which frame sent the call. */
export function invokeEvent(senderId: number, frame: FakeFrame | null): IpcMainInvokeEvent {
  return { sender: { id: senderId }, senderFrame: frame } as unknown as IpcMainInvokeEvent
}

export function taskRecord(patch: Partial<TaskRecord> = {}): TaskRecord {
  const now = new Date().toISOString()
  return {
    id: 't-1',
    title: 'Add validation',
    prompt: 'add input validation',
    source: { kind: 'folder', path: '/code' },
    status: 'queued',
    model: 'gpt-4.1-mini',
    focusFiles: [],
    limits: { maxSteps: 50, maxTokens: 2_000_000, maxCostUsd: 5, timeLimitMs: 1_800_000 },
    createdAt: now,
    updatedAt: now,
    usage: { steps: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 },
    turns: 1,
    excludedPaths: [],
    ...patch,
  }
}

/** An engine that answers list/get from memory and lets a test push events and records. */
export function fakeEngine(tasks: TaskRecord[] = []) {
  const eventListeners = new Set<(event: TaskEvent) => void>()
  const recordListeners = new Set<(task: TaskRecord) => void>()
  const engine = {
    list: vi.fn(() => tasks),
    get: vi.fn((id: string) => {
      const task = tasks.find((t) => t.id === id)
      if (!task) throw new Error(`no task ${id}`)
      return task
    }),
    close: vi.fn(async () => undefined),
    subscribe: (listener: (event: TaskEvent) => void) => {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    subscribeRecords: (listener: (task: TaskRecord) => void) => {
      recordListeners.add(listener)
      return () => recordListeners.delete(listener)
    },
    image: { onProgress: () => () => undefined },
    dockerRestarts: { onChange: () => () => undefined },
  }
  return {
    engine,
    asEngine: engine as unknown as TaskEngine,
    emitEvent: (event: TaskEvent) => eventListeners.forEach((l) => l(event)),
    emitRecord: (task: TaskRecord) => recordListeners.forEach((l) => l(task)),
    listenerCount: () => eventListeners.size + recordListeners.size,
  }
}

export function fakeServices(engine: TaskEngine, desktop?: DesktopService): Services {
  let settings = defaultSettings()
  return {
    engine,
    settings: { get: () => settings, update: async (patch) => (settings = applyPatch(settings, patch)) },
    secrets: {
      status: async () => ({ openai: false, github: false, backend: 'session' }),
      get: async () => undefined,
      set: async () => undefined,
      delete: async () => undefined,
      allowEndpoint: async () => undefined,
    },
    system: {
      status: async () => {
        throw new Error('not in this test')
      },
      buildImage: async () => ({ tag: 'x' }),
    },
    desktop,
  }
}

/** What a settings store does with a patch: merged field by field, then validated. */
export const applyPatch = (settings: Settings, patch: SettingsPatch): Settings =>
  settingsSchema.parse(mergeSettings(settings, patch))
