import { spawn } from 'node:child_process'
import { chown, mkdir } from 'node:fs/promises'
import { AppError } from '../errors'

export interface SandboxUser {
  uid: number
  gid: number
}

/** The unprivileged user the agent image defines (agent-image/Dockerfile). */
export const AGENT_UID = 10001

/**
 * Who runs inside the sandbox on a rootful engine: the host user's uid:gid, so files written to /workspace
 * stay theirs; or the image's unprivileged `agent` (10001:10001) when the engine runs as root or the
 * platform has no uids. Never 0. A user-namespaced engine (rootless Docker, rootless Podman) maps uids:
 * there Sandbox.create runs the container as its engine plan's user instead (engine-kind.ts).
 */
export function sandboxUser(): SandboxUser {
  const uid = process.getuid?.()
  const gid = process.getgid?.()
  if (uid === undefined || gid === undefined || uid === 0) return { uid: AGENT_UID, gid: AGENT_UID }
  return { uid, gid }
}

/**
 * Hands a workspace copy to the sandbox user: `chown -R` when the engine runs as root (the copy belongs to
 * root, the container runs as 10001); nothing to do otherwise, the copy is already the user's.
 * Symlinks are changed themselves and never followed (-P -h), so a link cannot hand out files outside.
 */
export async function giveWorkspaceTo(dir: string, user: SandboxUser): Promise<void> {
  if (process.getuid?.() !== 0) return
  if (user.uid === 0) throw new AppError('internal', 'Refusing to run the sandbox as root.')
  await new Promise<void>((resolve, reject) => {
    const child = spawn('chown', ['-R', '-P', '-h', `${user.uid}:${user.gid}`, '--', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString('utf8')
    })
    child.on('error', (err) =>
      reject(
        new AppError('internal', 'Could not run chown to hand the workspace to the sandbox user.', {
          cause: err,
        }),
      ),
    )
    child.on('close', (code) => {
      if (code === 0) return resolve()
      reject(
        new AppError('container_failed', 'Could not hand the workspace to the sandbox user.', {
          hint: 'Check that the task directory is on a local disk that supports file ownership.',
          details: { exitCode: code, stderr: stderr.trim().split('\n').slice(-5).join('\n') },
        }),
      )
    })
  })
}

/** The task's HOME directory for the sandbox: made once (0700) and owned by the sandbox user. */
export async function prepareSandboxHome(dir: string, user: SandboxUser): Promise<void> {
  if (user.uid === 0) throw new AppError('internal', 'Refusing to run the sandbox as root.')
  const made = await mkdir(dir, { mode: 0o700 }).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false
      throw err
    },
  )
  if (made && process.getuid?.() === 0) await chown(dir, user.uid, user.gid)
}
