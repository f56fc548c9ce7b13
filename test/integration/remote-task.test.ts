/**
 * Tasks on a remote Docker engine (Settings → Engines: a Docker-in-Docker engine of the test's own, reached
 * over TLS): the workspace shipped there and back (never bind-mounted), the agent image copied from the
 * local engine, the same diff as locally; two engines at once; cancel, the time limit and the engine dying
 * mid-turn, remotely.
 */
import { execFileSync } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRemoteDockerClient } from '../../src/main/docker/client'
import { listTaskContainers } from '../../src/main/docker/task-containers'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { SubmitTaskInput, TaskRecord, TaskStatus } from '../../src/shared/task'
import { requireDocker, testBaseImage } from '../support/docker'
import { waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ChatRequest, type ModelServer } from '../support/model-server'
import { startRemoteEngine, type RemoteEngine } from '../support/remote-engine'
import { startSshAgent, type TestSshAgent } from '../support/remote-engine-ssh-agent'
import { openTestServices } from '../support/services'
import type { SettingsStore } from '../../src/main/services'
import { until } from '../support/until'

const TURN =
  "sed -i 's/one/ONE/' src/a.js && rm src/old.js && printf 'new\\n' > src/new.js && chmod +x tool.sh" +
  ' && cat /proc/self/mountinfo'
const FINISH = { toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }
const shell = (command: string) => ({ toolCalls: [{ name: 'shell', args: { command } }] })

/** Each task: its prompt names the command of its one step, then it finishes. */
function scripted(req: ChatRequest) {
  const messages = req.messages
  if (messages.some((m) => m.role === 'tool')) return FINISH
  const prompt = String(messages.find((m) => m.role === 'user')?.content ?? '')
  if (prompt.includes('Edit the code')) return shell(TURN)
  const sleep = /sleep (\d+)/.exec(prompt)
  return sleep ? shell(`sleep ${sleep[1]}`) : FINISH
}

let local: Docker
let remote: RemoteEngine
let remoteDocker: Docker
let model: ModelServer
let engine: TaskEngine
let settings: SettingsStore
let sshAgent: TestSshAgent | undefined
let root: string
const savedEnv = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK }
let repo: string

beforeAll(async () => {
  local = await requireDocker()
  remote = await startRemoteEngine({ docker: local, baseImage: testBaseImage() })
  remoteDocker = createRemoteDockerClient({ host: remote.tcpHost, certDir: remote.certDir })
  model = await startModelServer(scripted)
  root = await mkdtemp(join(tmpdir(), 'codex-remote-task-'))
  repo = join(root, 'repo')
  await writeFiles(repo, {
    'src/a.js': 'export const one = 1\n',
    'src/old.js': 'gone soon\n',
    'tool.sh': '#!/bin/sh\necho tool\n',
  })
  // The app reaches ssh:// engines through the user's ssh agent and known_hosts, from its environment.
  await mkdir(join(root, 'home', '.ssh'), { recursive: true, mode: 0o700 })
  await copyFile(remote.knownHostsPath, join(root, 'home', '.ssh', 'known_hosts'))
  sshAgent = await startSshAgent(root, [remote.sshKeyPath])
  Object.assign(process.env, { HOME: join(root, 'home'), SSH_AUTH_SOCK: sshAgent.socketPath })
  ;({ engine, settings } = await openTestServices({
    dataDir: join(root, 'data'),
    baseURL: model.baseURL,
    settings: {
      maxConcurrentTasks: 2,
      docker: { workspace: 'mount' },
      engines: [
        { id: 'dind', name: 'DinD', host: remote.tcpHost, certDir: remote.certDir, maxConcurrentTasks: 2 },
      ],
    },
  }))
}, 600_000)

afterAll(async () => {
  Object.assign(process.env, savedEnv)
  await sshAgent?.stop()
  await engine?.close()
  await model?.close()
  await remote?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

async function run(
  input: Omit<SubmitTaskInput, 'source'>,
  statuses: TaskStatus[] = ['review'],
): Promise<TaskRecord> {
  const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, ...input })
  return waitForStatus(engine, id, statuses, 300_000)
}

/** Resolves once the model was asked the task's first step (its answer, the sleep, then runs in the sandbox). */
const sleeping = (prompt: string): Promise<true> =>
  until(
    () => (model.requests.some((r) => JSON.stringify(r.body.messages).includes(prompt)) ? true : undefined),
    120_000,
    `the model asked for "${prompt}"`,
  )

const lastToolOutput = (taskPrompt: string): string => {
  const request = model.requests.findLast((r) =>
    r.body.messages.some((m) => m.role === 'user' && String(m.content).includes(taskPrompt)),
  )
  return String(request?.body.messages.filter((m) => m.role === 'tool').at(-1)?.content)
}

describe('a task on a remote engine', () => {
  it('runs there end to end with the workspace shipped: the same diff.patch as locally, no bind mount', async () => {
    const here = await run({ prompt: 'Edit the code (here)', engine: 'local' })
    const there = await run({ prompt: 'Edit the code (there)', engine: 'dind' })
    expect(engine.get(there.id).engine).toBe('dind')
    const patchHere = await engine.store.readArtifact(here.id, 'diff.patch')
    const patchThere = await engine.store.readArtifact(there.id, 'diff.patch')
    expect(patchHere).toContain('+export const ONE = 1')
    expect(patchThere).toBe(patchHere)
    // Nothing of this machine's disk is mounted there: the workspace is a volume of the remote engine.
    const mounts = lastToolOutput('Edit the code (there)')
    expect(mounts).toMatch(/\/volumes\/codex-sys-[^/]+-workspace\/_data \/workspace /)
    expect(mounts).not.toContain(root)
    const events = await engine.store.readEvents(there.id)
    const copiedImage = events.some((e) => e.type === 'progress' && /Copying codex-sys-agent/.test(e.message))
    expect(copiedImage).toBe(true)
    // The task's containers and volumes are gone from the remote engine (the volumes soon after the
    // phase: they are removed off the task's path).
    expect((await listTaskContainers(remoteDocker)).filter((c) => c.taskId === there.id)).toEqual([])
    const volumes = async () =>
      (await remoteDocker.listVolumes({ filters: { label: [`codex-sys.task=${there.id}`] } })).Volumes ?? []
    await expect.poll(volumes, { timeout: 15_000 }).toEqual([])
  })

  it('runs a task on the same engine over SSH (ssh agent, known_hosts): the same diff.patch', async () => {
    const engines = settings.get().engines
    await settings.update({
      engines: [
        ...engines,
        { id: 'dind-ssh', name: 'DinD over SSH', host: remote.sshHost, maxConcurrentTasks: 1, enabled: true },
      ],
    })
    engine.settingsChanged()
    try {
      const overSsh = await run({ prompt: 'Edit the code (over ssh)', engine: 'dind-ssh' })
      expect(engine.get(overSsh.id).engine).toBe('dind-ssh')
      const local = engine.list().find((t) => t.prompt === 'Edit the code (here)')!
      expect(await engine.store.readArtifact(overSsh.id, 'diff.patch')).toBe(
        await engine.store.readArtifact(local.id, 'diff.patch'),
      )
    } finally {
      await settings.update({ engines })
      engine.settingsChanged()
    }
  })

  it('runs 8 tasks submitted together 4 at a time, 2 on each engine, and records where each ran', async () => {
    const ids: string[] = []
    for (let n = 1; n <= 8; n++) {
      ids.push((await engine.submit({ source: { kind: 'folder', path: repo }, prompt: `sleep 3 #${n}` })).id)
    }
    const load = engine.engineLoad()
    expect(load.map((l) => [l.id, l.active.length])).toEqual([
      ['local', 2],
      ['dind', 2],
    ])
    for (const id of ids) await waitForStatus(engine, id, ['review'], 300_000)
    const where = ids.map((id) => engine.get(id).engine)
    expect(where.filter((e) => e === 'local').length).toBeGreaterThanOrEqual(2)
    expect(where.filter((e) => e === 'dind').length).toBeGreaterThanOrEqual(2)
    expect(where.every((e) => e === 'local' || e === 'dind')).toBe(true)
  })

  it('cancels a remote task and stops one at its time limit, leaving no container there', async () => {
    const { id } = await engine.submit({
      source: { kind: 'folder', path: repo },
      prompt: 'sleep 60 (cancel me)',
      engine: 'dind',
    })
    await waitForStatus(engine, id, ['running'], 300_000)
    await sleeping('sleep 60 (cancel me)')
    await new Promise((r) => setTimeout(r, 1500))
    // The running container there, as its engine describes it: volumes only, not one bind mount.
    const [running] = (await listTaskContainers(remoteDocker)).filter((c) => c.taskId === id)
    const { Mounts } = await remoteDocker.getContainer(running!.id).inspect()
    expect(Mounts.filter((m) => m.Type === 'bind')).toEqual([])
    expect(Mounts.map((m) => m.Destination).sort()).toEqual(['/etc/ssl/codex', '/home/agent', '/workspace'])
    await engine.cancel(id)
    expect(engine.get(id).status).toBe('cancelled')
    const limits = { timeLimitMs: 8000 }
    const limited = await run({ prompt: 'sleep 60 (time limit)', engine: 'dind', limits }, ['failed'])
    expect(limited.error?.kind).toBe('timeout')
    for (const taskId of [id, limited.id]) {
      expect((await listTaskContainers(remoteDocker)).filter((c) => c.taskId === taskId)).toEqual([])
    }
  })

  it('ends a task interrupted and resumable when the remote engine dies mid-turn', async () => {
    const { id } = await engine.submit({
      source: { kind: 'folder', path: repo },
      prompt: 'sleep 60 (engine dies)',
      engine: 'dind',
    })
    await waitForStatus(engine, id, ['running'], 300_000)
    await sleeping('sleep 60 (engine dies)')
    await new Promise((r) => setTimeout(r, 1500))
    execFileSync('docker', ['exec', remote.containerId, 'pkill', '-KILL', 'dockerd'])
    const task = await waitForStatus(engine, id, ['interrupted'], 60_000)
    expect(task.resumable).toBe(true)
    expect(task.engine).toBe('dind')
  })
})
