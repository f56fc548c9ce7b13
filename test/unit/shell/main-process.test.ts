import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CALL_NAMES } from '../../../src/shared/channels'
import { defaultSettings, type Settings } from '../../../src/shared/settings'
import type { Services } from '../../../src/main/services'
import { fakeEngine, fakeServices } from './fakes'

type Listener = (...args: unknown[]) => unknown

/** Everything src/main/index.ts touches in Electron, recording what it did. */
const electron = vi.hoisted(() => {
  const state = {
    lock: true,
    isPackaged: false,
    order: [] as string[],
    appListeners: new Map<string, Listener>(),
    windows: [] as Array<{
      options: { webPreferences?: Record<string, unknown> }
      listeners: Map<string, Listener>
      loaded: string[]
      focus: ReturnType<typeof vi.fn>
    }>,
    handled: new Map<string, Listener>(),
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, Listener>(),
    sessionCalls: [] as string[],
    themeSource: 'system',
    quit: vi.fn(),
  }
  return state
})

vi.mock('electron', () => {
  const s = electron
  class BrowserWindow {
    listeners = new Map<string, Listener>()
    loaded: string[] = []
    focus = vi.fn()
    webContents = { id: 7, getURL: () => this.loaded.at(-1) ?? '', send: vi.fn() }
    constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
      s.order.push('window')
      s.windows.push(this)
    }
    on = (event: string, l: Listener) => this.listeners.set(event, l)
    once = (event: string, l: Listener) => this.listeners.set(event, l)
    isDestroyed = () => false
    isMinimized = () => true
    isVisible = () => false
    isFocused = () => false
    restore = vi.fn()
    show = vi.fn()
    hide = vi.fn()
    loadURL = async (url: string) => {
      s.order.push('load')
      this.loaded.push(url)
    }
  }
  const fakeSession = {
    setPermissionRequestHandler: () => s.sessionCalls.push('request'),
    setPermissionCheckHandler: () => s.sessionCalls.push('check'),
    setDevicePermissionHandler: () => s.sessionCalls.push('device'),
    webRequest: { onHeadersReceived: () => s.sessionCalls.push('headers') },
  }
  return {
    app: {
      get isPackaged() {
        return s.isPackaged
      },
      requestSingleInstanceLock: () => s.lock,
      quit: s.quit,
      exit: vi.fn(),
      whenReady: async () => {
        s.order.push('ready')
      },
      on: (event: string, l: Listener) => s.appListeners.set(event, l),
      getPath: () => '/home/me/.config/codex-sys',
      getName: () => 'codex-sys',
      setPath: vi.fn(),
      getAppPath: () => '/checkout',
    },
    BrowserWindow,
    dialog: { showOpenDialog: vi.fn(), showErrorBox: vi.fn() },
    ipcMain: {
      handle: (name: string, l: Listener) => {
        s.order.push('handle')
        s.handled.set(name, l)
      },
      removeHandler: (name: string) => s.handled.delete(name),
    },
    nativeTheme: {
      set themeSource(value: string) {
        s.themeSource = value
      },
    },
    Notification: class {
      static isSupported = () => false
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => {
        s.order.push('scheme')
        s.schemes.push(...schemes)
      },
      handle: (scheme: string, l: Listener) => s.protocolHandlers.set(scheme, l),
    },
    session: { defaultSession: fakeSession },
    shell: { openExternal: vi.fn() },
  }
})

const opened = vi.hoisted(() => ({
  opts: undefined as undefined | Record<string, unknown>,
  fail: undefined as Error | undefined,
  close: undefined as undefined | (() => Promise<void>),
}))

/** electron-updater loads the real `electron` module: a packaged start gets this stand-in instead. */
const updater = vi.hoisted(() => ({ checks: 0, listeners: new Set<string>() }))
vi.mock('electron-updater', () => ({
  default: {
    autoUpdater: {
      autoDownload: true,
      autoInstallOnAppQuit: true,
      on: (event: string) => updater.listeners.add(event),
      checkForUpdates: async () => {
        updater.checks++
        return null
      },
      downloadUpdate: async () => [],
      quitAndInstall: () => undefined,
    },
  },
}))

vi.mock('../../../src/main/app-services', () => ({
  openServices: async (opts: Record<string, unknown>): Promise<Services> => {
    opened.opts = opts
    if (opened.fail) throw opened.fail
    const { engine, asEngine } = fakeEngine()
    opened.close = engine.close
    return fakeServices(asEngine)
  },
}))
vi.mock('../../../src/main/desktop/electron-settings', () => ({
  openElectronSettings: () => {
    const settings: Settings = { ...defaultSettings(), theme: 'dark' }
    return { get: () => settings, update: async () => settings }
  },
}))
vi.mock('../../../src/main/secrets/open-secret-store', () => ({
  openSecretStore: async () => fakeServices(fakeEngine().asEngine).secrets,
}))

async function startMain(opts: { lock?: boolean; isPackaged?: boolean; fail?: Error } = {}) {
  vi.resetModules()
  Object.assign(electron, { lock: opts.lock ?? true, isPackaged: opts.isPackaged ?? false, order: [] })
  electron.windows.length = 0
  electron.handled.clear()
  electron.appListeners.clear()
  electron.schemes.length = 0
  electron.sessionCalls.length = 0
  electron.protocolHandlers.clear()
  electron.quit.mockClear()
  opened.opts = undefined
  opened.fail = opts.fail
  Object.defineProperty(process, 'resourcesPath', {
    value: opts.isPackaged ? '/opt/codex-sys/resources' : undefined,
    configurable: true,
  })
  await import('../../../src/main/index')
}

describe('main process', () => {
  afterEach(() => {
    delete process.env.ELECTRON_RENDERER_URL
    Object.defineProperty(process, 'resourcesPath', { value: undefined, configurable: true })
  })

  it('registers app:// before ready, guards the session, binds the contract, then loads the app', async () => {
    await startMain()
    await vi.waitFor(() => expect(electron.windows[0]?.loaded).toEqual(['app://codex-sys/index.html']))
    expect(electron.order[0]).toBe('scheme')
    expect(electron.order.indexOf('ready')).toBeLessThan(electron.order.indexOf('window'))
    expect(electron.order.lastIndexOf('handle')).toBeLessThan(electron.order.indexOf('load'))
    expect([...electron.handled.keys()].sort()).toEqual([...CALL_NAMES].sort())
    expect(electron.sessionCalls.sort()).toEqual(['check', 'device', 'headers', 'request'])
    expect(electron.protocolHandlers.has('app')).toBe(true)
    expect(electron.appListeners.has('web-contents-created')).toBe(true)
    expect(electron.windows[0]?.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      preload: expect.stringMatching(/preload[/\\]index\.cjs$/),
    })
    expect(electron.themeSource).toBe('dark')
  })

  it('points the engine at agent-image/ in the checkout, or in the resources when packaged', async () => {
    await startMain()
    await vi.waitFor(() => expect(opened.opts).toBeDefined())
    expect(opened.opts?.agentImage).toMatchObject({ contextDir: join('/checkout', 'agent-image') })
    expect(opened.opts?.desktop).toBeDefined()

    const resourcesPath = process.resourcesPath
    Object.defineProperty(process, 'resourcesPath', { value: '/opt/codex-sys/resources', configurable: true })
    try {
      await startMain({ isPackaged: true })
      await vi.waitFor(() => expect(opened.opts).toBeDefined())
      expect(opened.opts?.agentImage).toMatchObject({
        contextDir: join('/opt/codex-sys/resources', 'agent-image'),
      })
    } finally {
      Object.defineProperty(process, 'resourcesPath', { value: resourcesPath, configurable: true })
    }
  })

  it('loads the dev server only in development', async () => {
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173'
    await startMain()
    await vi.waitFor(() => expect(electron.windows[0]?.loaded).toEqual(['http://localhost:5173/']))
    expect(electron.protocolHandlers.has('app')).toBe(false)

    await startMain({ isPackaged: true })
    await vi.waitFor(() => expect(electron.windows[0]?.loaded).toEqual(['app://codex-sys/index.html']))
    // A packaged app listens for updates (it asks before downloading anything: updates.test.ts).
    expect(updater.listeners).toContain('update-available')
  })

  it('a second instance quits at once; the first one focuses its window', async () => {
    await startMain({ lock: false })
    expect(electron.quit).toHaveBeenCalled()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(electron.windows).toHaveLength(0)

    await startMain()
    await vi.waitFor(() => expect(electron.appListeners.has('second-instance')).toBe(true))
    electron.appListeners.get('second-instance')?.()
    expect(electron.windows[0]?.focus).toHaveBeenCalled()
  })

  it('closing the window stops the engine, then quits', async () => {
    await startMain()
    await vi.waitFor(() => expect(electron.windows[0]?.loaded).toHaveLength(1))
    const event = { preventDefault: vi.fn() }
    electron.windows[0]?.listeners.get('close')?.(event)
    expect(event.preventDefault).toHaveBeenCalled()
    expect(opened.close).toHaveBeenCalledTimes(1)
    await vi.waitFor(() => expect(electron.quit).toHaveBeenCalledTimes(1))
    expect(electron.handled.size).toBe(0)
  })

  it('a failed start says what failed in a dialog, without a stack, and exits', async () => {
    const { app, dialog } = await import('electron')
    await startMain({ fail: new Error('EACCES: permission denied, mkdir /data\n    at mkdir (node:fs:1:1)') })
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(1))
    expect(dialog.showErrorBox).toHaveBeenCalledWith(
      'codex-sys could not start',
      'EACCES: permission denied, mkdir /data',
    )
  })
})
