import { describe, expect, it, vi } from 'vitest'
import { CALL_NAMES, EVENT_CHANNEL } from '../../../src/shared/contract'
import type { Result } from '../../../src/shared/errors'
import { AppError } from '../../../src/main/errors'
import { bindContract } from '../../../src/main/ipc'
import { appLocation, isAppUrl } from '../../../src/main/desktop/origin'
import { createDesktopService } from '../../../src/main/desktop/dialogs'
import {
  fakeEngine,
  fakeIpcMain,
  fakeServices,
  fakeWindow,
  invokeEvent,
  taskRecord,
  type FakeFrame,
} from './fakes'

const location = appLocation({ isPackaged: true })
const isOurs = (url: string): boolean => isAppUrl(location, url)
const APP_URL_AGAIN = 'app://codex-sys/index.html#/task/t-1'

function setup(opts: { url?: string } = {}) {
  const ipc = fakeIpcMain()
  const window = fakeWindow(opts.url)
  const engine = fakeEngine([taskRecord()])
  const services = fakeServices(engine.asEngine)
  const unbind = bindContract(services, window.win, { ipcMain: ipc.ipcMain, isAppUrl: isOurs })
  const call = async (
    name: string,
    input: unknown,
    frame: FakeFrame | null = window.mainFrame,
    senderId = 1,
  ) => {
    const handler = ipc.handlers.get(name)
    if (!handler) throw new Error(`no handler for ${name}`)
    return (await handler(invokeEvent(senderId, frame), input)) as Result<unknown>
  }
  return { ...ipc, ...window, ...engine, services, unbind, call }
}

describe('bindContract', () => {
  it('registers exactly the contract’s calls', () => {
    const { handlers } = setup()
    expect([...handlers.keys()].sort()).toEqual([...CALL_NAMES].sort())
  })

  it('runs a call from the main frame of the app window', async () => {
    const { call, engine } = setup()
    const result = await call('tasks.list', {})
    expect(result).toEqual({ ok: true, value: [expect.objectContaining({ id: 't-1' })] })
    expect(engine.list).toHaveBeenCalledTimes(1)
    // No input at all counts as {} for calls that take none.
    expect(await call('tasks.list', undefined)).toMatchObject({ ok: true })
  })

  it('refuses another web contents, a subframe, a foreign page and a gone frame without running the call', async () => {
    const { call, engine, mainFrame } = setup()
    const refusals = [
      await call('tasks.list', {}, mainFrame, 2),
      await call('tasks.list', {}, { url: 'app://codex-sys/index.html', parent: mainFrame }),
      await call('tasks.list', {}, { url: 'https://example.com/', parent: null }),
      await call('tasks.list', {}, { url: 'app://elsewhere/index.html', parent: null }),
      await call('tasks.list', {}, { url: 'file:///index.html', parent: null }),
      await call('tasks.list', {}, null),
    ]
    for (const result of refusals) {
      expect(result).toEqual({ ok: false, error: { kind: 'invalid_input', message: expect.any(String) } })
    }
    expect(engine.list).not.toHaveBeenCalled()
  })

  it('refuses every call once the window is gone', async () => {
    const { call, engine, state } = setup()
    state.destroyed = true
    expect(await call('tasks.list', {})).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(engine.list).not.toHaveBeenCalled()
  })

  it('answers invalid input with invalid_input, naming the field, without running the call', async () => {
    const { call, engine } = setup()
    const result = await call('tasks.get', { id: '../../etc' })
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid_input' } })
    expect(!result.ok && result.error.message).toMatch(/^id: /)
    expect(await call('tasks.get', { id: 't-1', extra: true })).toMatchObject({ ok: false })
    expect(await call('tasks.get', 'not an object')).toMatchObject({ ok: false })
    expect(await call('shell.openExternal', { url: 'javascript:alert(1)' })).toMatchObject({ ok: false })
    expect(engine.get).not.toHaveBeenCalled()
  })

  it('passes a thrown AppError through as its kind, message and hint', async () => {
    const { call, engine } = setup()
    engine.get.mockImplementationOnce(() => {
      throw new AppError('not_found', 'No task t-2.', { hint: 'Pick a task from the list.' })
    })
    expect(await call('tasks.get', { id: 't-2' })).toEqual({
      ok: false,
      error: { kind: 'not_found', message: 'No task t-2.', hint: 'Pick a task from the list.' },
    })
  })

  it('turns an unknown error into kind internal with its first line only, never a stack', async () => {
    const { call, engine } = setup()
    engine.get.mockImplementationOnce(() => {
      const err = new TypeError('Cannot read properties of undefined\n    at secret (/home/me/app.js:1:1)')
      throw err
    })
    const result = await call('tasks.get', { id: 't-1' })
    expect(result).toEqual({
      ok: false,
      error: { kind: 'internal', message: 'Cannot read properties of undefined' },
    })
    expect(JSON.stringify(result)).not.toMatch(/stack|app\.js|\n/)
  })

  it('reports a desktop-only call when no desktop is attached, and runs it when one is', async () => {
    const { call } = setup()
    expect(await call('dialog.pickFolder', {})).toMatchObject({ ok: false, error: { kind: 'unsupported' } })

    const ipc = fakeIpcMain()
    const window = fakeWindow()
    const showOpenDialog = vi.fn(async () => ({ canceled: false, filePaths: ['/home/me/code'] }))
    const desktop = createDesktopService({
      showOpenDialog,
      openExternal: async () => undefined,
      showSaveDialog: vi.fn(),
    })
    bindContract(fakeServices(fakeEngine().asEngine, desktop), window.win, {
      ipcMain: ipc.ipcMain,
      isAppUrl: isOurs,
    })
    const pick = ipc.handlers.get('dialog.pickFolder')
    expect(await pick?.(invokeEvent(1, window.mainFrame), {})).toEqual({ ok: true, value: '/home/me/code' })
    expect(showOpenDialog).toHaveBeenCalledWith(expect.objectContaining({ properties: ['openDirectory'] }))
  })

  it('forwards engine events to the window on the event channel while it shows the app', () => {
    const { emitEvent, emitRecord, sent, state } = setup()
    const event = { type: 'status', status: 'running', taskId: 't-1', seq: 1, at: 'now' } as const
    emitEvent(event)
    emitRecord(taskRecord({ status: 'running' }))
    expect(sent).toEqual([
      { channel: EVENT_CHANNEL, payload: { kind: 'task', event } },
      {
        channel: EVENT_CHANNEL,
        payload: { kind: 'task-updated', task: expect.objectContaining({ id: 't-1' }) },
      },
    ])
    state.url = 'https://example.com/'
    emitEvent(event)
    state.url = APP_URL_AGAIN
    state.destroyed = true
    emitEvent(event)
    expect(sent).toHaveLength(2)
  })

  it('unbinds: handlers removed and events no longer forwarded', () => {
    const { unbind, handlers, listenerCount } = setup()
    expect(listenerCount()).toBe(2)
    unbind()
    expect(handlers.size).toBe(0)
    expect(listenerCount()).toBe(0)
  })
})
