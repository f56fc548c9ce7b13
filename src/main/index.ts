/**
 * The Electron main process: creates the window, applies the security settings, hosts the engine and
 * binds the contract to it. Everything that does work lives in the engine (plain Node).
 */
import { app, BrowserWindow, session, shell } from 'electron'
import { join } from 'node:path'
import { defaultSettings } from '../shared/settings'
import { defaultBaseImage } from './docker/image'
import { openServices } from './app-services'
import { AppError } from './errors'
import { bindContract } from './ipc'

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'codex-sys',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  })
  win.once('ready-to-show', () => win.show())
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL && !app.isPackaged)
    void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(join(__dirname, '../renderer/index.html'))
  return win
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  await app.whenReady()
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault())
  })
  // Settings and secrets move to electron-store and the OS keychain with the desktop-app issue.
  let settings = defaultSettings()
  const services = await openServices({
    dataDir: join(app.getPath('userData'), 'data'),
    settings: {
      get: () => settings,
      update: async (patch) => (settings = { ...settings, ...patch }),
    },
    secrets: {
      status: async () => ({
        openai: Boolean(process.env.OPENAI_API_KEY),
        github: false,
        backend: 'session',
      }),
      get: async (name) => (name === 'openai' ? process.env.OPENAI_API_KEY : undefined),
      set: async () => {
        throw new AppError('unsupported', 'Keys are read from OPENAI_API_KEY until the keychain store lands.')
      },
      delete: async () => undefined,
    },
    agentImage: {
      contextDir: app.isPackaged
        ? join(process.resourcesPath, 'agent-image')
        : join(app.getAppPath(), 'agent-image'),
      baseImage: defaultBaseImage(),
    },
  })
  const win = createWindow()
  bindContract(services, win)
  win.webContents.on('did-finish-load', () => undefined)
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore()
    win.focus()
  })
  app.on('window-all-closed', () => {
    void services.engine.close().finally(() => app.quit())
  })
  void shell // external links are opened only after a check (next issue: the UI's links)
}

void start()
