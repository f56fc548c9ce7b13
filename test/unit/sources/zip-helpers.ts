import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { AppError } from '../../../src/main/errors'
import type { ErrorKind } from '../../../src/shared/errors'
import { importZip, type ZipLimits } from '../../../src/main/sources/zip'
import { tempDir } from '../../support/tmp'
import { writeZip, type ZipEntrySpec, type ZipOptions } from '../../support/make-zip'

export const LIMITS: ZipLimits = { maxEntries: 10_000, maxBytes: 1 << 30, maxRatio: 1000 }

/** A temp dir holding `archive.zip` built from `entries`, and a destination path that does not exist yet. */
export async function archive(
  entries: ZipEntrySpec[],
  opts: ZipOptions = {},
): Promise<{ root: string; file: string; dest: string }> {
  const root = await tempDir('codex-zip-')
  const file = await writeZip(join(root, 'archive.zip'), entries, opts)
  return { root, file, dest: join(root, 'work', 'dest') }
}

/** Runs importZip expecting an AppError of `kind`; returns it. */
export async function refused(
  run: Promise<unknown>,
  kind: ErrorKind,
  message?: RegExp | string,
): Promise<AppError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'import should have failed').toBeInstanceOf(AppError)
  const appErr = err as AppError
  expect(appErr.kind).toBe(kind)
  if (message) expect(appErr.message).toMatch(message)
  expect(appErr.hint, 'a refusal says what to do').toBeTruthy()
  return appErr
}

/** Asserts that a refused import left nothing: dest missing, and nothing else beside the archive. */
export function expectNothingLeft(root: string, dest: string): void {
  expect(existsSync(dest), `${dest} should not exist`).toBe(false)
  const left = readdirSync(root).filter((n) => n !== 'archive.zip' && n !== 'work')
  expect(left).toEqual([])
  if (existsSync(join(root, 'work'))) expect(readdirSync(join(root, 'work'))).toEqual([])
}

/** Imports `entries` expecting an `unsafe_archive` refusal naming `name`, with nothing left behind. */
export async function expectUnsafe(
  entries: ZipEntrySpec[],
  name: string | RegExp,
  opts: ZipOptions = {},
): Promise<void> {
  const { root, file, dest } = await archive(entries, opts)
  const err = await refused(importZip({ file, dest, limits: LIMITS }), 'unsafe_archive')
  if (typeof name === 'string') expect(err.message).toContain(name)
  else expect(err.message).toMatch(name)
  expectNothingLeft(root, dest)
}
