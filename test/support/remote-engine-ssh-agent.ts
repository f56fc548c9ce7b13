import { execFile, spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

/** A real OpenSSH agent of the test's own on a socket in `dir`, holding the given keys. */
export interface TestSshAgent {
  /** SSH_AUTH_SOCK for a client. */
  socketPath: string
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

export async function startSshAgent(dir: string, keyPaths: string[]): Promise<TestSshAgent> {
  const socketPath = join(dir, 'agent.sock')
  // -D: in the foreground, so the test holds its process and ends it by that.
  const child = spawn('ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  try {
    await waitForSocket(socketPath)
    for (const key of keyPaths) await sshAdd(socketPath, key)
  } catch (err) {
    await stop()
    throw err
  }
  return { socketPath, stop }
}

async function waitForSocket(path: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    const isSocket = await stat(path).then(
      (s) => s.isSocket(),
      () => false,
    )
    if (isSocket) return
    if (Date.now() > deadline) throw new Error(`ssh-agent made no socket at ${path}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function sshAdd(socketPath: string, key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'ssh-add',
      ['-q', key],
      { env: { ...process.env, SSH_AUTH_SOCK: socketPath } },
      (err, _out, stderr) => (err ? reject(new Error(`ssh-add ${key} failed: ${stderr}`)) : resolve()),
    )
  })
}
