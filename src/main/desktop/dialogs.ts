import type {
  OpenDialogOptions,
  OpenDialogReturnValue,
  SaveDialogOptions,
  SaveDialogReturnValue,
} from 'electron'
import { AppError } from '../errors'
import type { DesktopService } from '../services'
import { isSafeExternalUrl } from './security'

export interface DesktopDeps {
  /** `dialog.showOpenDialog`, attached to the app window when there is one. */
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>
  /** `dialog.showSaveDialog`, attached to the app window when there is one. */
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>
  /** `shell.openExternal`. */
  openExternal(url: string): Promise<void>
}

/** Native dialogs and links for the engine's `dialog.*` and `shell.*` calls. */
export function createDesktopService(deps: DesktopDeps): DesktopService {
  const pick = async (options: OpenDialogOptions): Promise<string | null> => {
    const result = await deps.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  }
  return {
    pickFolder: () => pick({ title: 'Choose the code folder', properties: ['openDirectory'] }),
    pickZip: () =>
      pick({
        title: 'Choose a ZIP archive',
        properties: ['openFile'],
        filters: [{ name: 'ZIP archives', extensions: ['zip'] }],
      }),
    async pickSavePath(defaultName, filter) {
      const result = await deps.showSaveDialog({
        title: 'Save the export',
        defaultPath: defaultName,
        filters: [filter],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      })
      return result.canceled || !result.filePath ? null : result.filePath
    },
    async openExternal(url) {
      if (!isSafeExternalUrl(url)) {
        throw new AppError('unsafe_url', 'Only https:// links open from codex-sys.', {
          hint: 'Copy the link and open it in your browser yourself if you trust it.',
        })
      }
      await deps.openExternal(url)
    },
  }
}
