/**
 * The Electron main process: creates the window, applies the security settings, hosts the engine and
 * binds the contract to it. Everything that does work lives in the engine (plain Node) and in desktop/.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  nativeTheme,
  Notification,
  protocol,
  session,
  shell,
} from 'electron'
import electronUpdater from 'electron-updater'
import { join } from 'node:path'
import { defaultBaseImage } from './docker/image'
import { openServices } from './app-services'
import { registerAppScheme, serveAppFiles } from './desktop/app-protocol'
import { contentSecurityPolicy } from './web-assets'
import { userDataDir } from './desktop/data-dir'
import { createDesktopService } from './desktop/dialogs'
import { openElectronSettings } from './desktop/electron-settings'
import { quitGracefully } from './desktop/lifecycle'
import { desktopNotifier, notifyWhenSettled } from './desktop/notifications'
import { appLocation, isAppUrl } from './desktop/origin'
import { guardContents, guardSession } from './desktop/security'
import { syncTheme } from './desktop/theme'
import { startUpdates } from './desktop/updates'
import { focusWindow, mainWindowOptions, showTask } from './desktop/window'
import { toErrorData } from './errors'
import { bindContract } from './ipc'
import { openSecretStore } from './secrets/open-secret-store'

const here = import.meta.dirname
const location = appLocation({ devServerUrl: process.env.ELECTRON_RENDERER_URL, isPackaged: app.isPackaged })
const csp = contentSecurityPolicy({ dev: location.dev })
const isOurs = (url: string): boolean => isAppUrl(location, url)

registerAppScheme(protocol)

// Before anything reads userData (the single-instance lock, the settings): %LOCALAPPDATA% on Windows.
const userData = userDataDir({ appName: app.getName() })
if (userData) app.setPath('userData', userData)

async function start(): Promise<void> {
  // The keychain probe can take a moment (an unlock prompt): start it while Electron gets ready.
  const secrets = openSecretStore()
  await app.whenReady()
  guardSession(session.defaultSession, { isAppUrl: isOurs, csp })
  app.on('web-contents-created', (_event, contents) =>
    guardContents(contents, { isAppUrl: isOurs, openExternal: (url) => void shell.openExternal(url) }),
  )
  if (!location.dev) serveAppFiles(protocol, join(here, '../renderer'), csp)

  // Created hidden (shown on its first paint, once the contract is bound and the page loaded).
  const mainWindow = new BrowserWindow(mainWindowOptions({ preloadPath: join(here, '../preload/index.cjs') }))
  const services = await openServices({
    dataDir: process.env.CODEX_DATA_DIR || join(app.getPath('userData'), 'data'),
    settings: syncTheme(openElectronSettings(), (theme) => (nativeTheme.themeSource = theme)),
    secrets: await secrets,
    agentImage: {
      // The engine builds the sandbox image from agent-image/, shipped beside the app (extraResources).
      contextDir: app.isPackaged
        ? join(process.resourcesPath, 'agent-image')
        : join(app.getAppPath(), 'agent-image'),
      baseImage: defaultBaseImage(),
    },
    desktop: createDesktopService({
      showOpenDialog: (options) =>
        mainWindow.isDestroyed()
          ? dialog.showOpenDialog(options)
          : dialog.showOpenDialog(mainWindow, options),
      showSaveDialog: (options) =>
        mainWindow.isDestroyed()
          ? dialog.showSaveDialog(options)
          : dialog.showSaveDialog(mainWindow, options),
      openExternal: (url) => shell.openExternal(url),
    }),
  })

  const unbind = bindContract(services, mainWindow, { ipcMain, isAppUrl: isOurs })
  mainWindow.once('ready-to-show', () => mainWindow.show())
  app.on('second-instance', () => focusWindow(mainWindow))
  const stopNotices = notifyWhenSettled({
    engine: services.engine,
    isFocused: () => !mainWindow.isDestroyed() && mainWindow.isFocused(),
    notify: desktopNotifier((notice) =>
      Notification.isSupported() ? new Notification({ ...notice, silent: false }) : undefined,
    ),
    onClick: (taskId) => showTask(mainWindow, taskId),
  })
  const stopUpdates = startUpdates({
    isPackaged: app.isPackaged,
    // A getter in CommonJS: read only when updates are on.
    updater: () => electronUpdater.autoUpdater,
    ask: async ({ message, detail, buttons }) => {
      const options = { type: 'info' as const, message, detail, buttons, defaultId: 0, cancelId: 1 }
      const box = mainWindow.isDestroyed()
        ? dialog.showMessageBox(options)
        : dialog.showMessageBox(mainWindow, options)
      return (await box).response
    },
  })
  quitGracefully({
    app,
    win: mainWindow,
    stop: async () => {
      stopUpdates()
      stopNotices()
      unbind()
      await services.engine.close()
    },
  })
  await mainWindow.loadURL(location.entryUrl)
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  start().catch((err: unknown) => {
    const error = toErrorData(err)
    dialog.showErrorBox('codex-sys could not start', [error.message, error.hint].filter(Boolean).join('\n\n'))
    app.exit(1)
  })
}
