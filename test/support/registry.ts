/**
 * A real image registry on 127.0.0.1 for the tests: Debian's `docker-registry` package
 * (`/usr/bin/docker-registry serve <config>`, installed by scripts/prepare-machine.sh) on a free port,
 * storing in a temporary directory. Docker allows 127.0.0.1 registries over plain HTTP, so
 * `docker push 127.0.0.1:<port>/name:tag` works without configuring the engine.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const REGISTRY_BINARY = '/usr/bin/docker-registry'

export interface LocalRegistry {
  /** `127.0.0.1:<port>`: the prefix of a repository in this registry. */
  host: string
  /** Stops the registry (its port answers nothing afterwards); safe to call twice. */
  stop(): Promise<void>
}

/** A port on 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Resolves once `GET /v2/` answers; rejects when the process exits first or after `timeoutMs`. */
async function waitUntilServing(host: string, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`)
    const ok = await fetch(`http://${host}/v2/`).then(
      (res) => res.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`docker-registry on ${host} did not answer within ${timeoutMs} ms`)
}

/** Starts a registry on a free 127.0.0.1 port with a fresh storage directory. */
export async function startRegistry(): Promise<LocalRegistry> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(
      `${REGISTRY_BINARY} is missing: apt-get install docker-registry (scripts/prepare-machine.sh)`,
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'codex-registry-'))
  const host = `127.0.0.1:${await freePort()}`
  const config = join(dir, 'config.yml')
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n` +
      `http:\n  addr: ${host}\n`,
  )
  const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitUntilServing(host, child)
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err })
  }
  return { host, stop }
}
