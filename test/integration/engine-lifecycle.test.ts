import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import { listTaskContainers } from '../../src/main/docker/sandbox'
import { TaskEngine } from '../../src/main/engine/task-engine'
import { requireDocker } from '../support/docker'
import { openTestEngine, waitForEvent, waitForStatus } from '../support/engine'
import { crashMidTurn } from '../support/resume-crash'
import {
  startModelServer,
  type ChatMessage,
  type ChatRequest,
  type ScriptStep,
} from '../support/model-server'
import { writeFiles } from '../support/files'
import { tempDir } from '../support/tmp'

async function makeRepo(root: string, files: Record<string, string>): Promise<string> {
  const repo = join(root, 'repo')
  await writeFiles(repo, files)
  return repo
}

async function containersOf(taskId: string): Promise<number> {
  const all = await listTaskContainers(await requireDocker())
  return all.filter((c) => c.taskId === taskId).length
}

const lastToolOutput = (messages: ChatMessage[]): string =>
  String(messages.filter((m) => m.role === 'tool').at(-1)?.content)

const SLEEP = { toolCalls: [{ name: 'shell', args: { command: 'sleep 120', timeout_seconds: 600 } }] }

describe('the task lifecycle', () => {
  it('runs setup.sh with full network in its own container, then gives the agent none (HOME is kept)', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, {
      'setup.sh': 'set -e\ngetent hosts deb.debian.org > ~/setup-probe\necho "setup online"\n',
      'app.txt': 'v1\n',
    })
    const model = await startModelServer([
      {
        toolCalls: [
          {
            name: 'shell',
            args: {
              command:
                'echo "from setup: $(wc -l < ~/setup-probe)"; ' +
                'if getent hosts deb.debian.org; then echo AGENT-ONLINE; else echo AGENT-OFFLINE; fi; ' +
                'ls /sys/class/net',
            },
          },
        ],
      },
      { toolCalls: [{ name: 'finish', args: { summary: 'Probed.' } }] },
    ])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const statuses: string[] = []
      engine.subscribe((e) => e.type === 'status' && statuses.push(e.status))
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Probe the network',
        // `full`, to resolve a name with getent (the proxied modes have no DNS in the container).
        network: { setup: { mode: 'full' } },
      })
      await waitForStatus(engine, id, ['review'])
      expect(statuses).toEqual(['queued', 'preparing', 'setting_up', 'running', 'review'])
      expect(await engine.store.readArtifact(id, 'setup.log')).toContain('setup online')
      const probe = lastToolOutput(model.requests[1]!.body.messages)
      expect(probe).toMatch(/from setup: [1-9]/)
      expect(probe).toContain('AGENT-OFFLINE')
      expect(probe).not.toContain('AGENT-ONLINE')
      expect(probe.match(/^(lo|eth\d+)$/gm)).toEqual(['lo'])
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('fails clearly when setup.sh fails, with its output kept', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'setup.sh': 'echo "installing"\nexit 3\n' })
    const model = await startModelServer([])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'anything' })
      await expect(waitForStatus(engine, id, ['review'])).rejects.toThrow(/failed/)
      expect(engine.get(id).error).toMatchObject({
        kind: 'setup_failed',
        message: expect.stringContaining('code 3'),
      })
      expect(await engine.store.readArtifact(id, 'setup.log')).toContain('installing')
      expect(await containersOf(id)).toBe(0)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('tells the agent when a command runs out of memory, and goes on', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([
      { toolCalls: [{ name: 'shell', args: { command: 'python3 -c "b = bytearray(1024 * 1024 * 1024)"' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Too big.' } }] },
    ])
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      settings: { sandbox: { memoryMb: 256 } },
    })
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'allocate' })
      await waitForStatus(engine, id, ['review'])
      expect(lastToolOutput(model.requests[1]!.body.messages)).toContain('OOMKilled')
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('cancels a running task: the container is gone within 5 s', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([SLEEP])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'sleep' })
      await waitForEvent(engine, id, (e) => e.type === 'tool_call')
      await new Promise((r) => setTimeout(r, 500)) // let the command start
      const started = Date.now()
      await engine.cancel(id)
      expect(Date.now() - started).toBeLessThan(5000)
      expect(engine.get(id).status).toBe('cancelled')
      expect(await containersOf(id)).toBe(0)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('stops a task at its time limit', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([SLEEP])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'sleep',
        limits: { timeLimitMs: 6000 },
      })
      const started = Date.now()
      await expect(waitForStatus(engine, id, ['review'], 30_000)).rejects.toThrow(/failed/)
      expect(Date.now() - started).toBeLessThan(6000 + 5000 + 2000)
      expect(engine.get(id).error, JSON.stringify(engine.get(id).error)).toMatchObject({ kind: 'timeout' })
      expect(await containersOf(id)).toBe(0)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('marks a task interrupted after the engine dies, and removes its container', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const dataDir = join(root, 'data')
    // The command-line entry is the engine process that dies: killed with SIGKILL mid-task, its container alive.
    const { taskId } = await crashMidTurn({
      repo,
      dataDir,
      prompt: 'sleep',
      script: [SLEEP],
      toolCalls: 1,
      savedStep: -1,
    })
    const model = await startModelServer([])
    const engine = await openTestEngine({ dataDir, baseURL: model.baseURL })
    try {
      expect(engine.get(taskId)).toMatchObject({ status: 'interrupted', error: { kind: 'interrupted' } })
      expect(await containersOf(taskId)).toBe(0)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('fails with a clear message when Docker is unreachable', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([])
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      docker: new Docker({ socketPath: join(root, 'no-docker.sock') }),
    })
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'anything' })
      await expect(waitForStatus(engine, id, ['review'])).rejects.toThrow(/failed/)
      const error = engine.get(id).error!
      expect(error.kind).toBe('docker_unavailable')
      expect(error.message).toMatch(/Docker/)
      expect(error.hint).toBeTruthy()
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('refuses hostile sources with nothing written', async () => {
    const root = await tempDir()
    const model = await startModelServer([])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    const pwned = join(root, 'pwned')
    try {
      // Refused at submit: no task record is ever stored for it.
      await expect(
        engine.submit({ source: { kind: 'git', url: `ext::sh -c touch% ${pwned}` }, prompt: 'anything' }),
      ).rejects.toMatchObject({ kind: 'unsafe_url' })
      expect(engine.list()).toEqual([])
      expect(existsSync(pwned)).toBe(false)

      const notZip = join(root, 'fake.zip')
      await writeFile(notZip, 'this is not a zip')
      const zipTask = await engine.submit({ source: { kind: 'zip', path: notZip }, prompt: 'anything' })
      await expect(waitForStatus(engine, zipTask.id, ['review'])).rejects.toThrow(/failed/)
      expect(engine.get(zipTask.id).error?.kind).toBe('import_failed')
      expect(existsSync(engine.store.paths(zipTask.id).workspace)).toBe(false)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('fails before starting anything when no API key is set', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL, apiKey: null })
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'anything' })
      await expect(waitForStatus(engine, id, ['review'])).rejects.toThrow(/failed/)
      expect(engine.get(id).error).toMatchObject({ kind: 'auth_failed' })
      expect(model.requests).toHaveLength(0)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('keeps every task across a restart, with its events', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([{ text: 'Nothing to do.' }])
    const dataDir = join(root, 'data')
    const first = await openTestEngine({ dataDir, baseURL: model.baseURL })
    const { id } = await first.submit({ source: { kind: 'folder', path: repo }, prompt: 'nothing' })
    await waitForStatus(first, id, ['review'])
    const events = await first.events(id)
    await first.close()
    const second: TaskEngine = await openTestEngine({ dataDir, baseURL: model.baseURL })
    try {
      expect(second.get(id)).toMatchObject({
        status: 'review',
        summary: 'Nothing to do.',
        diff: { files: 0 },
      })
      expect(await second.events(id)).toEqual(events)
      expect(JSON.parse(await readFile(second.store.paths(id).record, 'utf8')).id).toBe(id)
    } finally {
      await second.close()
      await model.close()
    }
  })

  it('keeps a queued follow-up across a restart and runs it as a follow-up: the first turn survives', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n', 'b.txt': 'b\n' })
    // Task A edits a file; task B then holds the only slot, so A's follow-up waits in the queue.
    const firstOf = (req: ChatRequest): string => String(req.messages.find((m) => m.role === 'user')?.content)
    const model = await startModelServer((req) => {
      const last = req.messages.at(-1)
      const userTurns = req.messages.filter((m) => m.role === 'user').length
      if (firstOf(req).includes('hold the slot')) return last?.role === 'user' ? SLEEP : { text: 'done' }
      if (last?.role === 'user')
        return shell(userTurns === 1 ? 'echo first >> a.txt' : 'echo follow-up >> b.txt')
      return finishStep(userTurns === 1 ? 'First turn.' : 'Follow-up done.')
    })
    const dataDir = join(root, 'data')
    const settings = { maxConcurrentTasks: 1 }
    const first = await openTestEngine({ dataDir, baseURL: model.baseURL, settings })
    const a = await first.submit({ source: { kind: 'folder', path: repo }, prompt: 'edit a' })
    await waitForStatus(first, a.id, ['review'])
    const b = await first.submit({ source: { kind: 'folder', path: repo }, prompt: 'hold the slot' })
    await waitForEvent(first, b.id, (e) => e.type === 'tool_call')
    await first.followUp(a.id, 'now edit b')
    expect(first.get(a.id)).toMatchObject({ status: 'queued', pendingFollowUp: 'now edit b' })
    await first.close()

    const second = await openTestEngine({ dataDir, baseURL: model.baseURL, settings })
    try {
      const done = await waitForStatus(second, a.id, ['review'])
      expect(done.turns).toBe(2)
      expect(done.pendingFollowUp).toBeUndefined()
      const diff = await second.diff(a.id)
      const byPath = Object.fromEntries(diff.fileDiffs.map((f) => [f.newPath, f.newContent]))
      expect(byPath).toEqual({ 'a.txt': 'a\nfirst\n', 'b.txt': 'b\nfollow-up\n' })
      expect(await second.store.readArtifact(a.id, 'summary.md')).toContain('Follow-up done.')
    } finally {
      await second.close()
      await model.close()
    }
  })
})

const shell = (command: string): ScriptStep => ({ toolCalls: [{ name: 'shell', args: { command } }] })
const finishStep = (summary: string): ScriptStep => ({ toolCalls: [{ name: 'finish', args: { summary } }] })
