import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultSettings } from '../../../src/shared/settings'
import { AppError } from '../../../src/main/errors'
import { openFileSettings } from '../../../src/main/settings/file-settings'
import { tempDir } from '../../support/tmp'

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

const onDisk = async (dir: string): Promise<unknown> =>
  JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))

describe('file settings', () => {
  it('starts from the defaults without writing anything', async () => {
    const dir = await tempDir()
    const store = openFileSettings(dir)
    expect(store.get()).toEqual(defaultSettings())
    expect(store.path).toBe(join(dir, 'settings.json'))
    expect(store.recovered).toBeUndefined()
    expect(await readdir(dir)).toEqual([])
  })

  it('merges a patch, nested objects field by field, and persists it across re-open', async () => {
    const dir = await tempDir()
    const store = openFileSettings(dir)
    await store.update({ model: 'my-model', baseUrl: 'http://127.0.0.1:9999/v1', limits: { maxSteps: 7 } })
    const agent = { mode: 'custom' as const, hosts: ['api.example.com'], readOnly: true }
    const next = await store.update({
      limits: { maxCostUsd: 1.5 },
      sandbox: { cpus: 3 },
      network: { agent, caBundlePath: '/etc/ssl/extra.pem' },
    })
    const expected = {
      ...defaultSettings(),
      model: 'my-model',
      baseUrl: 'http://127.0.0.1:9999/v1',
      limits: { ...defaultSettings().limits, maxSteps: 7, maxCostUsd: 1.5 },
      sandbox: { ...defaultSettings().sandbox, cpus: 3 },
      network: { ...defaultSettings().network, agent, caBundlePath: '/etc/ssl/extra.pem' },
    }
    expect(next).toEqual(expected)
    expect(store.get()).toEqual(expected)
    expect(await onDisk(dir)).toEqual(expected)
    const reopened = openFileSettings(dir)
    expect(reopened.get()).toEqual(expected)
    expect(reopened.recovered).toBeUndefined()
    // null clears an optional field
    expect((await reopened.update({ baseUrl: null })).baseUrl).toBeUndefined()
    expect(openFileSettings(dir).get().baseUrl).toBeUndefined()
    // …nested too (the CA bundle path); the rest of the network block stays
    const cleared = await reopened.update({ network: { caBundlePath: null } } as never)
    expect(cleared.network).toEqual({ ...defaultSettings().network, agent })
  })

  it('hands out copies: mutating what get() returned changes nothing', async () => {
    const store = openFileSettings(await tempDir())
    const copy = store.get()
    copy.limits.maxSteps = 999
    expect(store.get().limits.maxSteps).toBe(defaultSettings().limits.maxSteps)
  })

  it('refuses an invalid patch, names the field and why, and writes nothing', async () => {
    const dir = await tempDir()
    const store = openFileSettings(dir)
    await store.update({ theme: 'dark' })
    const before = await readFile(store.path, 'utf8')
    const mtime = (await stat(store.path)).mtimeMs

    const tooFew = await refusal(store.update({ limits: { maxSteps: 0 } }))
    expect(tooFew.kind).toBe('invalid_input')
    expect(tooFew.message).toMatch(/^Invalid settings: limits\.maxSteps: Too small/)
    expect(tooFew.details).toEqual({ fields: ['limits.maxSteps'] })
    const badUrl = await refusal(store.update({ baseUrl: 'not a url', theme: 'light' }))
    expect(badUrl.message).toMatch(/baseUrl: Invalid URL/)
    const unknown = await refusal(store.update({ colour: 'red' } as never))
    expect(unknown.message).toMatch(/unknown setting "colour"/)
    const wrongType = await refusal(store.update({ maxConcurrentTasks: '3' } as never))
    expect(wrongType.message).toMatch(/maxConcurrentTasks/)

    expect(store.get().theme).toBe('dark')
    expect(await readFile(store.path, 'utf8')).toBe(before)
    expect((await stat(store.path)).mtimeMs).toBe(mtime)
    expect(await readdir(dir)).toEqual(['settings.json'])
  })

  it('recovers from a file that is not JSON: defaults, a backup of the bad file, a repaired file', async () => {
    const dir = await tempDir()
    const garbage = '{"model": "kept?", "limits": {'
    await writeFile(join(dir, 'settings.json'), garbage)
    const store = openFileSettings(dir)
    expect(store.get()).toEqual(defaultSettings())
    expect(store.recovered?.badFields).toEqual(['*'])
    const backups = (await readdir(dir)).filter((name) => name.startsWith('settings.json.invalid-'))
    expect(backups).toHaveLength(1)
    expect(store.recovered?.backupPath).toBe(join(dir, backups[0]!))
    expect(await readFile(join(dir, backups[0]!), 'utf8')).toBe(garbage)
    expect(await onDisk(dir)).toEqual(defaultSettings())
    // Next start: nothing to recover, and updates work.
    const again = openFileSettings(dir)
    expect(again.recovered).toBeUndefined()
    expect((await again.update({ model: 'm2' })).model).toBe('m2')
  })

  it('keeps the good fields of an invalid file and resets only the bad ones', async () => {
    const dir = await tempDir()
    const raw = {
      model: 'keep-me',
      theme: 'pink',
      maxConcurrentTasks: 99,
      limits: { maxSteps: -3, maxCostUsd: 2 },
      sandbox: 'lots',
      zip: { maxEntries: 10 },
      somethingFromTheFuture: true,
    }
    await writeFile(join(dir, 'settings.json'), JSON.stringify(raw))
    const store = openFileSettings(dir)
    const d = defaultSettings()
    const expected = {
      ...d,
      model: 'keep-me',
      limits: { ...d.limits, maxCostUsd: 2 },
      zip: { ...d.zip, maxEntries: 10 },
    }
    expect(store.get()).toEqual(expected)
    expect(store.recovered?.badFields.sort()).toEqual([
      'limits.maxSteps',
      'maxConcurrentTasks',
      'sandbox',
      'theme',
    ])
    expect(JSON.parse(await readFile(store.recovered!.backupPath, 'utf8'))).toEqual(raw)
    expect(await onDisk(dir)).toEqual(expected)
  })

  it('treats a file holding JSON that is not an object as damaged', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'settings.json'), '[1, 2, 3]')
    const store = openFileSettings(dir)
    expect(store.get()).toEqual(defaultSettings())
    expect(store.recovered?.badFields).toEqual(['*'])
    expect(await onDisk(dir)).toEqual(defaultSettings())
  })

  it('says which settings file it cannot read', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'file'), 'not a folder')
    const err = (() => {
      try {
        openFileSettings(join(dir, 'file', 'settings'))
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).message).toBe(
      `The settings file ${join(dir, 'file', 'settings', 'settings.json')} could not be read (ENOTDIR).`,
    )
  })

  it('reports a failed save as an AppError and keeps the previous settings', async () => {
    const dir = await tempDir()
    const folder = join(dir, 'settings')
    const store = openFileSettings(folder)
    await store.update({ model: 'first' })
    await rm(folder, { recursive: true })
    await writeFile(folder, 'now a file')
    const err = await refusal(store.update({ model: 'second' }))
    expect(err.kind).toBe('internal')
    expect(err.message).toMatch(
      /^The settings could not be saved to .*settings\.json \((ENOTDIR|EEXIST)\)\.$/,
    )
    expect(store.get().model).toBe('first')
  })
})
