import { randomBytes } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../errors'
import { checkTokenShape } from './access'
import { renameWithRetry } from '../util/fs'

/** The file in the data directory that holds the running server's token, for scripts. */
export const TOKEN_FILE_NAME = 'server-token'

const MAX_TOKEN_FILE_BYTES = 4096

export const tokenFilePath = (dataDir: string): string => join(dataDir, TOKEN_FILE_NAME)

/**
 * Writes `token` to `<dataDir>/server-token`, readable and writable by its owner only, atomically: the
 * bytes go to a new file created with mode 0600 (O_CREAT|O_EXCL, so never through a planted link, and
 * the umask can only narrow the mode), which then replaces the old one with a rename. At no instant
 * is there a file holding the token that anyone else can read.
 */
export async function writeTokenFile(dataDir: string, token: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = tokenFilePath(dataDir)
  const temp = join(dataDir, `.${TOKEN_FILE_NAME}.${randomBytes(8).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', 0o600)
  try {
    try {
      await handle.chmod(0o600)
      await handle.writeFile(`${token}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await renameWithRetry(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  return path
}

/**
 * The token in a file the user named (`--token-file`): a regular file of at most 4 KiB that no one but
 * its owner can read or write (as ssh insists for its keys), holding one token (surrounding white space,
 * such as a final newline, is ignored).
 */
export async function readTokenFile(path: string): Promise<string> {
  const problem = (message: string, hint?: string, cause?: unknown): AppError =>
    new AppError('invalid_input', message, { hint, cause })
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw problem(`Can't read the token file ${path}: ${(err as Error).message}`, undefined, err)
  })
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw problem(`The token file ${path} is not a regular file.`)
    if (info.size > MAX_TOKEN_FILE_BYTES) throw problem(`The token file ${path} is larger than 4 KiB.`)
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw problem(
        `The token file ${path} can be read or written by other users (mode ${(info.mode & 0o777).toString(8)}).`,
        `Make it yours alone: chmod 600 '${path}'`,
      )
    }
    const token = (await handle.readFile('utf8')).trim()
    checkTokenShape(token)
    return token
  } finally {
    await handle.close()
  }
}
