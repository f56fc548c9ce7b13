import { beforeEach, describe, expect, it, vi } from 'vitest'
import { CALL_NAMES, EVENT_CHANNEL } from '../../../src/shared/channels'
import type { Api } from '../../../src/shared/api'
import type { AppEvent } from '../../../src/shared/events'

type IpcListener = (event: unknown, ...args: unknown[]) => void

/** contextBridge, ipcRenderer and webUtils as the preload sees them, recording what it does. */
const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<IpcListener>>()
  return {
    exposed: new Map<string, unknown>(),
    listeners,
    invoke: vi.fn(async (channel: string, input: unknown) => ({ ok: true, value: { channel, input } })),
    getPathForFile: vi.fn((_file: unknown) => '/home/me/code.zip'),
  }
})

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, value: unknown) => electron.exposed.set(key, value),
  },
  ipcRenderer: {
    invoke: electron.invoke,
    on: (channel: string, listener: IpcListener) => {
      const set = electron.listeners.get(channel) ?? new Set()
      set.add(listener)
      electron.listeners.set(channel, set)
    },
    removeListener: (channel: string, listener: IpcListener) =>
      electron.listeners.get(channel)?.delete(listener),
    send: () => {
      throw new Error('the preload must not send')
    },
  },
  webUtils: { getPathForFile: electron.getPathForFile },
}))

async function loadApi(): Promise<Api> {
  vi.resetModules()
  electron.exposed.clear()
  await import('../../../src/preload/index')
  expect([...electron.exposed.keys()]).toEqual(['api'])
  return electron.exposed.get('api') as Api
}

/** Sends an event from main on a channel, as Electron does: the IPC event first, then the payload. */
function emit(channel: string, payload: unknown): void {
  const ipcEvent = { sender: { id: 1 }, senderId: 0, ports: [] }
  for (const listener of electron.listeners.get(channel) ?? []) listener(ipcEvent, payload)
}

const sample: AppEvent = { kind: 'image', progress: { line: 'Step 1/9', ratio: 0.1 } }

describe('preload', () => {
  beforeEach(() => {
    electron.listeners.clear()
    electron.invoke.mockClear()
  })

  it('exposes exactly the contract’s calls, onEvent and fileSource, all functions', async () => {
    const api = await loadApi()
    expect(Object.keys(api).sort()).toEqual([...CALL_NAMES, 'onEvent', 'fileSource'].sort())
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
    for (const generic of ['invoke', 'send', 'on', 'ipcRenderer', 'sendSync', 'postMessage']) {
      expect(api).not.toHaveProperty(generic)
    }
  })

  it('each call invokes its own channel with the input, and nothing else', async () => {
    const api = await loadApi()
    await expect(api['tasks.get']({ id: 't-1' })).resolves.toEqual({
      ok: true,
      value: { channel: 'tasks.get', input: { id: 't-1' } },
    })
    await api['tasks.list']({})
    expect(electron.invoke.mock.calls).toEqual([
      ['tasks.get', { id: 't-1' }],
      ['tasks.list', {}],
    ])
  })

  it('onEvent hands the listener the payload alone, never the IPC event; unsubscribe stops it', async () => {
    const api = await loadApi()
    const received: unknown[][] = []
    const unsubscribe = api.onEvent((...args: unknown[]) => received.push(args))
    emit(EVENT_CHANNEL, sample)
    emit('some-other-channel', { kind: 'image', progress: { line: 'not ours' } })
    expect(received).toEqual([[sample]])

    unsubscribe()
    emit(EVENT_CHANNEL, sample)
    expect(received).toHaveLength(1)
    expect(electron.listeners.get(EVENT_CHANNEL)?.size).toBe(0)
  })

  it('each subscription is separate', async () => {
    const api = await loadApi()
    const a = vi.fn()
    const b = vi.fn()
    const stopA = api.onEvent(a)
    api.onEvent(b)
    stopA()
    emit(EVENT_CHANNEL, sample)
    expect(a).not.toHaveBeenCalled()
    expect(b).toHaveBeenCalledWith(sample)
  })

  it('fileSource gives a dropped file’s path, and an error for a file without one', async () => {
    const api = await loadApi()
    const file = new File(['zip'], 'code.zip')
    await expect(api.fileSource(file)).resolves.toEqual({ ok: true, value: '/home/me/code.zip' })
    electron.getPathForFile.mockReturnValueOnce('')
    await expect(api.fileSource(file)).resolves.toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    electron.getPathForFile.mockImplementationOnce(() => {
      throw new TypeError('not a File')
    })
    await expect(api.fileSource(file)).resolves.toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
  })
})

describe('preload bundle', () => {
  const read = async (path: string): Promise<string> => {
    const { readFile } = await import('node:fs/promises')
    return readFile(new URL(`../../../src/${path}`, import.meta.url), 'utf8')
  }
  const runtimeImports = (source: string): string[] =>
    [...source.matchAll(/^import (?!type )[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '').sort()

  it('imports nothing at run time but electron and the dependency-free channel names (a sandboxed preload)', async () => {
    expect(runtimeImports(await read('preload/index.ts'))).toEqual(['./build-api', 'electron'])
    expect(runtimeImports(await read('preload/build-api.ts'))).toEqual(['../shared/channels', 'electron'])
    expect(await read('shared/channels.ts')).not.toMatch(/^import /m)
  })

  it('the entry exports nothing, so its CommonJS bundle needs no `exports` object', async () => {
    expect(await read('preload/index.ts')).not.toMatch(/^export /m)
  })
})
