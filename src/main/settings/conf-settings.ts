import { writeFileSync } from 'node:fs'
import { settingsSchema, type Settings } from '../../shared/settings'
import { AppError } from '../errors'
import type { SettingsStore } from '../services'
import { repairSettings } from './repair'
import {
  describeIssues,
  isRecord,
  mergeSettings,
  settingsPatchSchema,
  type SettingsPatch,
} from './settings-patch'

/** What the settings store needs of a conf instance (conf's Conf and electron-store's ElectronStore both fit). */
export interface ConfLike {
  store: Record<string, unknown>
  readonly path: string
}

/** The options every settings file is opened with: a reader that never throws on a damaged file. */
export interface SettingsConfOptions {
  deserialize: (text: string) => Record<string, unknown>
  clearInvalidConfig: false
  watch: false
}

/** A bad settings file that was set aside: where its copy went and which fields went back to defaults. */
export interface SettingsRecovery {
  backupPath: string
  badFields: string[]
}

export interface PersistentSettingsStore extends SettingsStore {
  update(patch: SettingsPatch): Promise<Settings>
  /** The settings file. */
  readonly path: string
  /** Set when the file was damaged or invalid when opened. */
  readonly recovered?: SettingsRecovery
}

function backupName(path: string): string {
  return `${path}.invalid-${new Date().toISOString().replace(/[:.]/g, '-')}`
}

function keepCopy(path: string, text: string): string {
  for (let n = 0; ; n++) {
    const target = n === 0 ? backupName(path) : `${backupName(path)}-${n}`
    try {
      writeFileSync(target, text, { flag: 'wx', mode: 0o600 })
      return target
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw err
    }
  }
}

function writeError(path: string, err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError('disk_full', 'The settings could not be saved: the disk is full.', {
      hint: 'Free some disk space and try again.',
      cause: err,
    })
  }
  return new AppError('internal', `The settings could not be saved to ${path}${code ? ` (${code})` : ''}.`, {
    hint: 'Check that the folder exists and is writable, then try again.',
    cause: err,
  })
}

/**
 * The one implementation of "read, validate, merge a patch, write" behind both settings stores: `open`
 * builds the conf instance (a plain file, or electron-store) with the options given. A damaged file or
 * invalid fields never stop the app: bad fields fall back to their defaults, a copy of the file is kept
 * beside it, and the repaired settings are written back. Writes are atomic (conf writes a temporary file
 * and renames it).
 */
export function openConfSettings(open: (options: SettingsConfOptions) => ConfLike): PersistentSettingsStore {
  let rawText: string | undefined
  let unreadable = false
  const options: SettingsConfOptions = {
    deserialize: (text) => {
      rawText = text
      unreadable = false
      try {
        const value: unknown = JSON.parse(text)
        if (isRecord(value)) return value
      } catch {
        // handled below: the whole file is unreadable
      }
      unreadable = true
      return {}
    },
    clearInvalidConfig: false,
    watch: false,
  }

  let conf: ConfLike
  let stored: Record<string, unknown>
  try {
    conf = open(options)
    rawText = undefined
    stored = conf.store
  } catch (err) {
    const e = err as NodeJS.ErrnoException | null
    const where = typeof e?.path === 'string' ? ` ${e.path}` : ''
    throw new AppError(
      'internal',
      `The settings file${where} could not be read${e?.code ? ` (${e.code})` : ''}.`,
      {
        hint: 'Check that the settings folder exists and is readable and writable, then restart.',
        cause: err,
      },
    )
  }

  const { settings, badFields } = unreadable ? repairSettings(undefined) : repairSettings(stored)
  let current: Settings = settings
  let recovered: SettingsRecovery | undefined
  if (rawText !== undefined && badFields.length > 0) {
    try {
      recovered = { backupPath: keepCopy(conf.path, rawText), badFields }
      conf.store = { ...current }
    } catch (err) {
      // Keep going on the repaired settings in memory; the next successful update rewrites the file.
      console.warn(`codex-sys: could not repair the settings file ${conf.path}: ${String(err)}`)
    }
    if (recovered) {
      const which = badFields.includes('*') ? 'it was not valid JSON' : `invalid: ${badFields.join(', ')}`
      console.warn(
        `codex-sys: the settings file ${conf.path} was damaged (${which}); defaults used for those fields, ` +
          `the old file kept as ${recovered.backupPath}`,
      )
    }
  }

  return {
    path: conf.path,
    recovered,
    get: () => structuredClone(current),
    async update(patch) {
      const shape = settingsPatchSchema.safeParse(patch)
      if (!shape.success) {
        const { message, fields } = describeIssues(shape.error)
        throw new AppError('invalid_input', `Invalid settings: ${message}.`, {
          hint: 'Correct the highlighted setting and save again.',
          details: { fields },
        })
      }
      const merged = settingsSchema.safeParse(mergeSettings(current, shape.data))
      if (!merged.success) {
        const { message, fields } = describeIssues(merged.error)
        throw new AppError('invalid_input', `Invalid settings: ${message}.`, {
          hint: 'Correct the highlighted setting and save again.',
          details: { fields },
        })
      }
      try {
        conf.store = { ...merged.data }
      } catch (err) {
        throw writeError(conf.path, err)
      }
      current = merged.data
      return structuredClone(current)
    },
  }
}
