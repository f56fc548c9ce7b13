/**
 * A second Docker engine (Docker-in-Docker started by the test, test/support/remote-engine.ts) reached by the
 * app's own client the two remote ways: TLS with client certificates at the container's address, and SSH
 * through a real ssh-agent with the host key checked against known_hosts. Then images copied into it by
 * src/main/docker/image-transfer.ts (it cannot pull here) and run there.
 */
import { execFileSync } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkDocker, createDockerClient } from '../../src/main/docker/client'
import { runExec } from '../../src/main/docker/exec'
import { imageExists } from '../../src/main/docker/image'
import { loadImageStream, transferImage } from '../../src/main/docker/image-transfer'
import { AGENT_UID } from '../../src/main/docker/workspace-owner'
import { AppError } from '../../src/main/errors'
import { requireDocker, testBaseImage } from '../support/docker'
import { startRemoteEngine, type RemoteEngine } from '../support/remote-engine'
import { startSshAgent, type TestSshAgent } from '../support/remote-engine-ssh-agent'
import { tempDir } from '../support/tmp'

let local: Docker
let remote: RemoteEngine
let agent: TestSshAgent
let agentDir: string | undefined
const started = Date.now()

beforeAll(async () => {
  local = await requireDocker()
  remote = await startRemoteEngine({ docker: local, baseImage: testBaseImage() })
  agentDir = await mkdtemp(join(tmpdir(), 'codex-agent-'))
  agent = await startSshAgent(agentDir, [remote.sshKeyPath])
  console.log(`[remote-engine] engine up in ${Date.now() - started} ms at ${remote.ip}`)
})

afterAll(async () => {
  await agent?.stop()
  await remote?.stop()
  if (agentDir) await rm(agentDir, { recursive: true, force: true })
  console.log(`[remote-engine] whole file ${Date.now() - started} ms`)
})

/** The rejection of `work` as an AppError (the test fails when it resolves or throws something else). */
async function appErrorOf(work: Promise<unknown>): Promise<AppError> {
  const err: unknown = await work.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`)
  return err
}

const tlsClient = (certDir: string): Docker =>
  createDockerClient({ host: remote.tcpHost, discovery: { env: { DOCKER_CERT_PATH: certDir } } })

/** A HOME whose ~/.ssh/known_hosts holds `knownHosts` (none when undefined). */
async function homeWith(knownHosts: string | undefined): Promise<string> {
  const home = await tempDir('codex-home-')
  await mkdir(join(home, '.ssh'), { mode: 0o700 })
  if (knownHosts !== undefined) await writeFile(join(home, '.ssh', 'known_hosts'), knownHosts)
  return home
}

const sshClient = (home: string, authSock = agent.socketPath): Docker =>
  createDockerClient({ host: remote.sshHost, discovery: { env: { SSH_AUTH_SOCK: authSock, HOME: home } } })

describe('the app reaches a remote engine over TLS', () => {
  it('with the client certificate: it answers as that engine, not the local one', async () => {
    const docker = tlsClient(remote.certDir)
    const version = await checkDocker(docker)
    expect(version.version).toMatch(/^\d+\.\d+/)
    const [info, localInfo] = await Promise.all([docker.info(), local.info()])
    expect(info.ID).not.toBe(localInfo.ID)
    expect(info.Name).toBe(remote.containerId.slice(0, 12))
  })

  it('without a client certificate the engine refuses, and the app says so (not "Docker is not running")', async () => {
    const onlyCa = await tempDir('codex-certs-')
    await copyFile(join(remote.certDir, 'ca.pem'), join(onlyCa, 'ca.pem'))
    const err = await appErrorOf(checkDocker(tlsClient(onlyCa)))
    expect(err.kind).toBe('docker_unavailable')
    expect(err.details?.refusal).toBe('tls_client_refused')
    expect(err.message).toContain(`${remote.ip}:2376 refused this app's TLS client certificate`)
    expect(err.hint).toMatch(/cert\.pem and key\.pem/)
  })

  it('refuses an engine whose certificate its CA did not sign (a swapped server)', async () => {
    const err = await appErrorOf(checkDocker(tlsClient(await tempDir('codex-certs-'))))
    expect(err.details?.refusal).toBe('tls_server_untrusted')
    expect(err.hint).toMatch(/ca\.pem/)
  })
})

describe('the app reaches the same engine over SSH (ssh-agent, docker system dial-stdio)', () => {
  it('pings and lists when known_hosts holds the host key', async () => {
    const docker = sshClient(await homeWith(await readFile(remote.knownHostsPath, 'utf8')))
    await checkDocker(docker)
    expect(await docker.ping()).toBeTruthy()
    expect((await docker.info()).Name).toBe(remote.containerId.slice(0, 12))
  })

  it('keeps its SSH connections: many requests, more at once than one connection carries', async () => {
    const docker = sshClient(await homeWith(await readFile(remote.knownHostsPath, 'utf8')))
    await docker.ping()
    const at = Date.now()
    for (let i = 0; i < 20; i++) await docker.ping()
    const perRequest = (Date.now() - at) / 20
    console.log(`[remote-engine] SSH: ${perRequest.toFixed(1)} ms a request (kept connections)`)
    // A new SSH connection a request (docker-modem's own transport) took ~250 ms here.
    expect(perRequest).toBeLessThan(60)
    const answers = await Promise.all(Array.from({ length: 24 }, () => docker.version()))
    expect(new Set(answers.map((a) => a.Version)).size).toBe(1)
  })

  it('accepts a hashed known_hosts entry (HashKnownHosts)', async () => {
    const home = await homeWith(await readFile(remote.knownHostsPath, 'utf8'))
    execFileSync('ssh-keygen', ['-q', '-H', '-f', join(home, '.ssh', 'known_hosts')], { stdio: 'ignore' })
    expect(await readFile(join(home, '.ssh', 'known_hosts'), 'utf8')).toMatch(/^\|1\|/)
    await checkDocker(sshClient(home))
  })

  it('refuses a host that known_hosts does not name', async () => {
    const err = await appErrorOf(checkDocker(sshClient(await homeWith(undefined))))
    expect(err.details?.refusal).toBe('ssh_host_unknown')
    expect(err.hint).toContain(`ssh root@${remote.ip}`)
  })

  it('refuses a host whose key is not the one known_hosts holds (a swapped host)', async () => {
    const dir = await tempDir('codex-otherkey-')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')], { stdio: 'ignore' })
    const other = (await readFile(join(dir, 'k.pub'), 'utf8')).split(' ').slice(0, 2).join(' ')
    const err = await appErrorOf(checkDocker(sshClient(await homeWith(`${remote.ip} ${other}\n`))))
    expect(err.details?.refusal).toBe('ssh_host_key_changed')
    expect(err.hint).toContain(`ssh-keygen -R ${remote.ip}`)
  })

  it('says the key was refused when the agent holds no key the server accepts', async () => {
    const empty = await startSshAgent(await tempDir('codex-agent-'), [])
    try {
      const home = await homeWith(await readFile(remote.knownHostsPath, 'utf8'))
      const err = await appErrorOf(checkDocker(sshClient(home, empty.socketPath)))
      expect(err.details?.refusal).toBe('ssh_auth')
      expect(err.hint).toContain('ssh-add')
    } finally {
      await empty.stop()
    }
  })
})

/** Runs `echo ok` in a fresh container from `image` on `docker`; its output. */
async function echoOk(docker: Docker, image: string): Promise<string> {
  const container = await docker.createContainer({ Image: image, Entrypoint: ['echo'], Cmd: ['ok'] })
  try {
    await container.start()
    await container.wait()
    const logs = await container.logs({ stdout: true, stderr: true })
    return logs.subarray(8).toString('utf8').trim()
  } finally {
    await container.remove({ force: true })
  }
}

/** Copies `tag` from the local engine to the remote one, timing it and sampling this process's RSS. */
async function timedCopy(tag: string): Promise<{ ms: number; bytes: number; rssGrowth: number; id: string }> {
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  const at = Date.now()
  const result = await transferImage(local, tlsClient(remote.certDir), tag, {
    onProgress: () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)),
  })
  const ms = Date.now() - at
  const mib = (result.bytesSent / 2 ** 20).toFixed(0)
  console.log(
    `[remote-engine] copied ${tag}: ${mib} MiB in ${ms} ms over TLS, RSS +${(rssPeak - rssBefore) >> 20} MiB`,
  )
  return { ms, bytes: result.bytesSent, rssGrowth: rssPeak - rssBefore, id: result.imageId }
}

describe('images copied into the remote engine (it cannot pull)', () => {
  it('a cancelled copy stops and leaves no image there', async () => {
    const docker = tlsClient(remote.certDir)
    const controller = new AbortController()
    let sentAtAbort = 0
    const err = await appErrorOf(
      transferImage(local, docker, testBaseImage(), {
        signal: controller.signal,
        onProgress: ({ bytesSent }) => {
          if (bytesSent > 8 * 2 ** 20 && !controller.signal.aborted) {
            sentAtAbort = bytesSent
            controller.abort()
          }
        },
      }),
    )
    expect(err.kind).toBe('cancelled')
    expect(sentAtAbort).toBeGreaterThan(0)
    expect(await imageExists(docker, testBaseImage())).toBe(false)
  })

  // The agent image (800 MB) is copied by the engine itself in remote-task.test.ts; the base is enough here.
  it('an image arrives streamed, with the same id, and runs there', async () => {
    const docker = tlsClient(remote.certDir)
    for (const tag of [testBaseImage()]) {
      const copy = await timedCopy(tag)
      expect(copy.id).toBe((await local.getImage(tag).inspect()).Id)
      expect(copy.bytes).toBeGreaterThan(50 * 2 ** 20)
      // Streamed: the process never holds the archive (hundreds of MiB) whole.
      expect(copy.rssGrowth).toBeLessThan(Math.min(copy.bytes / 2, 150 * 2 ** 20))
      expect(await echoOk(docker, tag)).toBe('ok')
    }
  })

  it("the app's exec runs tools in an agent container there, over TLS and over SSH", async () => {
    const tls = tlsClient(remote.certDir)
    const ssh = sshClient(await homeWith(await readFile(remote.knownHostsPath, 'utf8')))
    if (!(await imageExists(tls, testBaseImage()))) await timedCopy(testBaseImage())
    const container = await tls.createContainer({ Image: testBaseImage(), Cmd: ['sleep', 'infinity'] })
    try {
      await container.start()
      for (const [name, docker] of [
        ['TLS', tls],
        ['SSH', ssh],
      ] as const) {
        const there = docker.getContainer(container.id)
        const at = Date.now()
        for (let i = 0; i < 5; i++) {
          const result = await runExec(
            there,
            { uid: AGENT_UID, gid: AGENT_UID },
            ['sh', '-c', 'cat; echo err >&2'],
            {
              cwd: '/',
              stdin: `ok ${i}`,
            },
          )
          expect(result).toMatchObject({ exitCode: 0, stdout: `ok ${i}`, stderr: 'err\n' })
        }
        console.log(`[remote-engine] exec over ${name}: ${((Date.now() - at) / 5).toFixed(0)} ms a command`)
      }
    } finally {
      await container.remove({ force: true })
    }
  })

  it("an archive the engine cannot load is refused with the engine's reason and a hint", async () => {
    const notAnImage = Readable.from([Buffer.alloc(10_240)])
    const err = await appErrorOf(
      loadImageStream(tlsClient(remote.certDir), notAnImage, {
        targetName: 'the remote engine',
        tag: 'junk',
      }),
    )
    expect(err.kind).toBe('image_missing')
    expect(err.message).toMatch(/^the remote engine refused the image junk: \S/)
    expect(err.hint).toContain('docker system df')
  })
})
