import { describe, expect, it, vi } from 'vitest'
import { defaultSettings, type Settings } from '../../../src/shared/settings'
import { AppError } from '../../../src/main/errors'
import { createDesktopService } from '../../../src/main/desktop/dialogs'
import { quitGracefully } from '../../../src/main/desktop/lifecycle'
import {
  desktopNotifier,
  noticeFor,
  notifyWhenSettled,
  type NotificationLike,
} from '../../../src/main/desktop/notifications'
import { syncTheme, type Theme } from '../../../src/main/desktop/theme'
import { applyPatch, fakeEngine, taskRecord } from './fakes'

describe('desktop service', () => {
  const picked = (filePaths: string[], canceled = false) => vi.fn(async () => ({ canceled, filePaths }))

  it('picks a folder with an open-directory dialog, null when cancelled', async () => {
    const showOpenDialog = picked(['/home/me/code'])
    const desktop = createDesktopService({ showOpenDialog, openExternal: vi.fn(), showSaveDialog: vi.fn() })
    expect(await desktop.pickFolder()).toBe('/home/me/code')
    expect(showOpenDialog.mock.calls[0]).toEqual([expect.objectContaining({ properties: ['openDirectory'] })])
    const cancelled = createDesktopService({
      showOpenDialog: picked([], true),
      openExternal: vi.fn(),
      showSaveDialog: vi.fn(),
    })
    expect(await cancelled.pickFolder()).toBeNull()
  })

  it('picks a ZIP with a .zip filter', async () => {
    const showOpenDialog = picked(['/home/me/code.zip'])
    const desktop = createDesktopService({ showOpenDialog, openExternal: vi.fn(), showSaveDialog: vi.fn() })
    expect(await desktop.pickZip()).toBe('/home/me/code.zip')
    expect(showOpenDialog.mock.calls[0]).toEqual([
      expect.objectContaining({
        properties: ['openFile'],
        filters: [{ name: 'ZIP archives', extensions: ['zip'] }],
      }),
    ])
  })

  it('opens only https links, refusing anything else with unsafe_url', async () => {
    const openExternal = vi.fn(async () => undefined)
    const desktop = createDesktopService({
      showOpenDialog: picked([]),
      openExternal,
      showSaveDialog: vi.fn(),
    })
    await desktop.openExternal('https://github.com/owner/repo/pull/3')
    expect(openExternal).toHaveBeenCalledWith('https://github.com/owner/repo/pull/3')
    for (const url of ['http://github.com/', 'file:///etc/passwd', 'https://tok@github.com/']) {
      const err = await desktop.openExternal(url).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AppError)
      expect(err).toMatchObject({ kind: 'unsafe_url', hint: expect.any(String) })
      expect((err as AppError).message).not.toContain('tok')
    }
    expect(openExternal).toHaveBeenCalledTimes(1)
  })
})

describe('notifications', () => {
  it('tells of review and failure, not of other statuses', () => {
    expect(noticeFor(taskRecord({ status: 'review', title: 'Add validation' }))).toEqual({
      title: 'Ready for review',
      body: 'Add validation',
    })
    const failed = taskRecord({
      status: 'failed',
      error: { kind: 'docker_unavailable', message: 'Docker is not running.' },
    })
    expect(noticeFor(failed)).toEqual({
      title: 'Task failed',
      body: 'Add validation: Docker is not running.',
    })
    for (const status of ['queued', 'running', 'cancelled', 'interrupted'] as const) {
      expect(noticeFor(taskRecord({ status }))).toBeUndefined()
    }
    expect(noticeFor(taskRecord({ status: 'review', title: 'x'.repeat(500) }))?.body.length).toBe(120)
  })

  it('notifies when a task settles while the window is in the background; a click shows the task', () => {
    const running = taskRecord({ id: 't-1', status: 'running' })
    const { asEngine, emitRecord, listenerCount } = fakeEngine([
      running,
      taskRecord({ id: 't-0', status: 'review' }),
    ])
    const focused = { value: false }
    const notify = vi.fn((_notice: unknown, _onClick: () => void) => undefined)
    const onClick = vi.fn()
    const stop = notifyWhenSettled({ engine: asEngine, isFocused: () => focused.value, notify, onClick })

    emitRecord(taskRecord({ id: 't-1', status: 'running' })) // no change
    emitRecord(taskRecord({ id: 't-0', status: 'review' })) // already settled before
    expect(notify).not.toHaveBeenCalled()

    emitRecord(taskRecord({ id: 't-1', status: 'review' }))
    expect(notify).toHaveBeenCalledTimes(1)
    expect(notify.mock.calls[0]?.[0]).toEqual({ title: 'Ready for review', body: 'Add validation' })
    notify.mock.calls[0]?.[1]()
    expect(onClick).toHaveBeenCalledWith('t-1')

    // A follow-up turn that fails while the user is looking: no notice.
    emitRecord(taskRecord({ id: 't-1', status: 'running' }))
    focused.value = true
    emitRecord(taskRecord({ id: 't-1', status: 'failed' }))
    // A new task cancelled in the background: no notice either.
    focused.value = false
    emitRecord(taskRecord({ id: 't-2', status: 'queued' }))
    emitRecord(taskRecord({ id: 't-2', status: 'cancelled' }))
    expect(notify).toHaveBeenCalledTimes(1)

    stop()
    expect(listenerCount()).toBe(0)
  })

  it('keeps each notification referenced until clicked or closed, and shows it', () => {
    const made: Array<{ handlers: Map<string, () => void>; show: ReturnType<typeof vi.fn> }> = []
    const create = (): NotificationLike => {
      const handlers = new Map<string, () => void>()
      const n = { handlers, show: vi.fn(), on: (event: string, l: () => void) => handlers.set(event, l) }
      made.push(n)
      return n
    }
    const onClick = vi.fn()
    desktopNotifier(create)({ title: 'Ready for review', body: 'x' }, onClick)
    expect(made[0]?.show).toHaveBeenCalled()
    made[0]?.handlers.get('click')?.()
    expect(onClick).toHaveBeenCalledTimes(1)
    // Notifications unsupported: nothing happens.
    expect(() => desktopNotifier(() => undefined)({ title: 't', body: 'b' }, onClick)).not.toThrow()
  })
})

describe('theme', () => {
  it('applies the theme at start and after every update', async () => {
    let settings: Settings = { ...defaultSettings(), theme: 'dark' }
    const applied: Theme[] = []
    const store = syncTheme(
      { get: () => settings, update: async (patch) => (settings = applyPatch(settings, patch)) },
      (theme) => applied.push(theme),
    )
    expect(applied).toEqual(['dark'])
    await store.update({ theme: 'light' })
    await store.update({ model: 'other' })
    expect(applied).toEqual(['dark', 'light', 'light'])
    expect(store.get().model).toBe('other')
  })
})

describe('quitGracefully', () => {
  function fakes(stop: () => Promise<void>) {
    const listeners = new Map<string, (e: { preventDefault(): void }) => void>()
    const win = {
      on: (e: string, l: (e: { preventDefault(): void }) => void) => listeners.set(e, l),
      hide: vi.fn(),
      isDestroyed: () => false,
    }
    const appListeners = new Map<string, (e: { preventDefault(): void }) => void>()
    const app = {
      on: (e: string, l: (e: { preventDefault(): void }) => void) => appListeners.set(e, l),
      quit: vi.fn(),
    }
    quitGracefully({ app, win, stop, timeoutMs: 200 })
    const fire = (target: Map<string, (e: { preventDefault(): void }) => void>, name: string) => {
      const event = { preventDefault: vi.fn() }
      target.get(name)?.(event)
      return event
    }
    return {
      win,
      app,
      close: () => fire(listeners, 'close'),
      beforeQuit: () => fire(appListeners, 'before-quit'),
    }
  }

  it('closing the window stops the engine (cancelling tasks) before quitting, once', async () => {
    let finish: () => void = () => undefined
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)))
    const { win, app, close, beforeQuit } = fakes(stop)
    expect(close().preventDefault).toHaveBeenCalled()
    expect(win.hide).toHaveBeenCalled()
    expect(beforeQuit().preventDefault).toHaveBeenCalled()
    expect(stop).toHaveBeenCalledTimes(1)
    expect(app.quit).not.toHaveBeenCalled()
    finish()
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(1))
    // The quit that follows closes the window for real.
    expect(close().preventDefault).not.toHaveBeenCalled()
    expect(beforeQuit().preventDefault).not.toHaveBeenCalled()
  })

  it('quits anyway when stopping hangs or fails', async () => {
    const hung = fakes(() => new Promise<void>(() => undefined))
    hung.beforeQuit()
    await vi.waitFor(() => expect(hung.app.quit).toHaveBeenCalledTimes(1))
    const failing = fakes(async () => {
      throw new Error('docker went away')
    })
    failing.close()
    await vi.waitFor(() => expect(failing.app.quit).toHaveBeenCalledTimes(1))
  })
})
