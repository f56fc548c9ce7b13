import { api, isDesktop } from '../../lib/api'
import { updateDraft } from './draft'

const ZIP_TYPES = new Set(['application/zip', 'application/x-zip-compressed', 'application/x-zip'])

export function isZipFile(file: File): boolean {
  return /\.zip$/i.test(file.name) || ZIP_TYPES.has(file.type)
}

let generation = 0

/** A picked or dropped ZIP becomes the draft's source (its path on disk, or an upload in a browser). */
export async function takeZipFile(file: File): Promise<void> {
  if (!isZipFile(file)) {
    updateDraft({ tab: 'zip', sourceError: `“${file.name}” is not a ZIP archive. Choose a .zip file.` })
    return
  }
  const mine = ++generation
  updateDraft({ tab: 'zip', zip: undefined, zipBusy: true, sourceError: undefined })
  let result: Awaited<ReturnType<typeof api.fileSource>>
  try {
    result = await api.fileSource(file)
  } catch (err) {
    result = {
      ok: false,
      error: { kind: 'internal', message: err instanceof Error ? err.message : String(err) },
    }
  }
  if (mine !== generation) return
  if (result.ok) {
    updateDraft({ zip: { path: result.value, name: file.name, size: file.size }, zipBusy: false })
  } else {
    const hint = result.error.hint ? ` ${result.error.hint}` : ''
    updateDraft({
      zipBusy: false,
      sourceError: `Could not use “${file.name}”: ${result.error.message}${hint}`,
    })
  }
}

async function takeFolder(file: File): Promise<void> {
  if (!isDesktop) {
    updateDraft({
      tab: 'folder',
      sourceError: 'A folder can’t be dropped in the browser: type its path on the server, or drop a .zip.',
    })
    return
  }
  const result = await api.fileSource(file)
  if (result.ok) updateDraft({ tab: 'folder', folderPath: result.value, sourceError: undefined })
  else updateDraft({ tab: 'folder', sourceError: `Could not use that folder: ${result.error.message}` })
}

/** Something dropped on the window: a .zip or (in the desktop app) a folder; anything else is explained. */
export async function takeDrop(data: DataTransfer): Promise<void> {
  const file = data.files[0]
  if (!file) return
  const entry = data.items?.[0]?.webkitGetAsEntry?.()
  if (entry?.isDirectory) return takeFolder(file)
  if (isZipFile(file)) return takeZipFile(file)
  updateDraft({
    tab: 'zip',
    sourceError: `“${file.name}” is not a ZIP archive. Drop a .zip file${isDesktop ? ' or a folder' : ''}.`,
  })
}
