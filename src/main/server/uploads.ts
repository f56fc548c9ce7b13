import { randomBytes } from 'node:crypto'
import { mkdir, open, rm, rmdir, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { HttpError, formatBytes } from './http-io'

/** Past this much of a refused body, the connection is dropped instead of drained. */
const DRAIN_LIMIT = 64 * 1024 ** 2

const ZIP_MAGICS = ['504b0304', '504b0506', '504b0708']

/** The user's own file name, made safe for a path: the last component, plain characters, ending in .zip. */
export function safeUploadName(name: string | undefined): string {
  const last = (name ?? '').split(/[\\/]/).pop() ?? ''
  const plain = last
    .replace(/[^A-Za-z0-9._ -]/g, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, 100)
    .trim()
  if (!plain) return 'upload.zip'
  return /\.zip$/i.test(plain) ? plain : `${plain}.zip`
}

/**
 * A fresh path for an upload: an unguessable folder of its own (0700) under the upload directory, holding
 * the file under the user's own (sanitized) name, so that the task shows "shop.zip", not a random string.
 */
export async function newUploadPath(uploadDir: string, originalName?: string): Promise<string> {
  const dir = join(uploadDir, `${Date.now()}-${randomBytes(12).toString('hex')}`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return join(dir, safeUploadName(originalName))
}

/** Removes an upload made by newUploadPath: the file and the folder of its own. */
export async function discardUpload(path: string): Promise<void> {
  await rm(dirname(path), { recursive: true, force: true }).catch(() => undefined)
}

const notZip = (): HttpError =>
  new HttpError(415, 'invalid_input', 'That file is not a ZIP archive.', {
    hint: 'Drop a .zip file, or pick a folder or a Git URL instead.',
  })

function tooBig(limit: number): HttpError {
  return new HttpError(413, 'invalid_input', `The ZIP file is larger than ${formatBytes(limit)}.`, {
    hint: 'Raise the ZIP size limit in Settings, or send a smaller archive.',
  })
}

/**
 * Streams a ZIP body into a new file at `dest` (mode 0600), checking its first bytes and its size as it
 * comes. On a problem it stops writing, removes the file, drains what is left of the body (so the client
 * reads our answer; past DRAIN_LIMIT the source is destroyed instead) and rejects with an HttpError.
 */
export async function receiveZip(source: Readable, dest: string, limit: number): Promise<number> {
  let handle: FileHandle
  try {
    handle = await open(dest, 'wx', 0o600)
  } catch (err) {
    source.resume()
    throw err
  }
  return new Promise((resolve, reject) => {
    const out = handle.createWriteStream()
    let size = 0
    let head = Buffer.alloc(0)
    let failure: unknown
    let settled = false
    const fail = (err: unknown): void => {
      if (failure !== undefined) return
      failure = err
      out.destroy()
      source.resume()
    }
    const finish = async (): Promise<void> => {
      if (settled) return
      settled = true
      if (failure === undefined && head.length < 4) failure = notZip()
      if (failure === undefined) {
        try {
          out.end()
          await finished(out)
          return resolve(size)
        } catch (err) {
          failure = err
        }
      }
      out.destroy()
      await rm(dest, { force: true }).catch(() => undefined)
      // The upload's own folder (newUploadPath) goes too; rmdir leaves a folder that still holds anything.
      await rmdir(dirname(dest)).catch(() => undefined)
      reject(failure)
    }
    out.on('error', fail)
    source.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (failure !== undefined) {
        if (size > limit + DRAIN_LIMIT) {
          source.destroy()
          void finish()
        }
        return
      }
      if (size > limit) return fail(tooBig(limit))
      if (head.length < 4) {
        head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)])
        if (head.length === 4 && !ZIP_MAGICS.includes(head.toString('hex'))) return fail(notZip())
      }
      if (!out.write(chunk)) {
        source.pause()
        out.once('drain', () => source.resume())
      }
    })
    source.on('end', () => void finish())
    source.on('error', (err) => {
      fail(err)
      void finish()
    })
    source.on('close', () => {
      if (failure === undefined && !source.readableEnded) fail(new Error('The upload was interrupted.'))
      void finish()
    })
  })
}

/** Whether a declared body size should be refused before reading (too big to be worth draining). */
export function refuseEarly(contentLength: string | undefined, limit: number): HttpError | undefined {
  const declared = Number(contentLength ?? NaN)
  return declared > limit + DRAIN_LIMIT ? tooBig(limit) : undefined
}
