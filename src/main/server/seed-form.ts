import type { IncomingMessage } from 'node:http'
import busboy from 'busboy'
import { HttpError } from './http-io'
import { discardUpload, newUploadPath, receiveZip } from './uploads'

const FIELDS = new Set([
  'git_url',
  'branch',
  'task_description',
  'target_file',
  'setup_network',
  'agent_network',
  'read_only_network',
  'runtime',
  'github_token',
])
const FIELD_LIMIT = 1024 ** 2

export interface SeedForm {
  fields: Map<string, string>
  /** The uploaded `zip_file`, kept under the upload directory. */
  zipPath?: string
}

const badForm = (message: string): HttpError => new HttpError(400, 'invalid_input', message)

/**
 * Reads the seed's multipart form: its text fields (git_url, branch, task_description, target_file,
 * setup_network, agent_network, read_only_network, runtime, github_token) and at most one `zip_file`,
 * streamed to a new upload. Other fields and files are ignored. `github_token` is for that task's
 * pull request only (seed-auto-pr.ts): the caller hands it to the auto-PR and nowhere else.
 */
export function readSeedForm(req: IncomingMessage, uploadDir: string, zipLimit: number): Promise<SeedForm> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 20, parts: 30, fieldSize: FIELD_LIMIT },
      })
    } catch {
      reject(
        new HttpError(415, 'invalid_input', 'POST /api/task takes multipart/form-data.', {
          hint: 'Send the form fields git_url or zip_file, task_description and optionally target_file.',
        }),
      )
      return
    }
    const fields = new Map<string, string>()
    let upload: Promise<string> | undefined
    let problem: HttpError | undefined
    let done = false

    const finish = async (err?: unknown): Promise<void> => {
      if (done) return
      done = true
      const zipPath = await upload?.catch((uploadErr: unknown) => {
        err ??= uploadErr
        return undefined
      })
      err ??= problem
      if (err !== undefined) {
        if (zipPath) await discardUpload(zipPath)
        reject(err)
      } else {
        resolve({ fields, zipPath })
      }
    }

    bb.on('field', (name, value, info) => {
      if (!FIELDS.has(name)) return
      if (info.valueTruncated) problem ??= badForm(`The field ${name} is too long.`)
      fields.set(name, value)
    })
    bb.on('file', (name, stream, info) => {
      if (name !== 'zip_file' || upload !== undefined || info.filename === '') {
        stream.resume()
        return
      }
      upload = newUploadPath(uploadDir, info.filename).then(async (path) => {
        try {
          await receiveZip(stream, path, zipLimit)
        } catch (err) {
          stream.resume()
          throw err
        }
        return path
      })
      // Handled in finish(); keep Node from reporting it as unhandled meanwhile.
      upload.catch(() => undefined)
    })
    bb.on('filesLimit', () => (problem ??= badForm('Send one zip_file.')))
    bb.on('partsLimit', () => (problem ??= badForm('The form has too many parts.')))
    bb.on('fieldsLimit', () => (problem ??= badForm('The form has too many fields.')))
    bb.on('close', () => void finish())
    bb.on('error', () => void finish(badForm('The multipart form is malformed.')))
    req.on('close', () => {
      if (!req.complete) void finish(badForm('The request was interrupted.'))
    })
    req.pipe(bb)
  })
}
