import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ChatMessage } from '../support/model-server'
import { tempDir } from '../support/tmp'

/** The setup cache on the real engine and Docker: a second task on the same repository skips setup. */
const SETUP =
  'set -e\nmkdir -p node_modules/x\necho "module.exports = \'built\'" > node_modules/x/index.js\n' +
  'echo home-made > ~/.setup-probe\nsleep 3\necho setup-ran\n'
const CAT = {
  toolCalls: [{ name: 'shell', args: { command: 'cat node_modules/x/index.js ~/.setup-probe' } }],
}
const FINISH = { toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }

const lastToolOutput = (messages: ChatMessage[]): string =>
  String(messages.filter((m) => m.role === 'tool').at(-1)?.content)

async function runTask(
  engine: TaskEngine,
  repo: string,
  refreshSetup?: boolean,
): Promise<{ id: string; statuses: string[] }> {
  const seen: Array<{ taskId: string; status: string }> = []
  const off = engine.subscribe(
    (e) => e.type === 'status' && seen.push({ taskId: e.taskId, status: e.status }),
  )
  try {
    const source = { kind: 'folder', path: repo } as const
    const { id } = await engine.submit({ source, prompt: 'Read the module', refreshSetup })
    await waitForStatus(engine, id, ['review'])
    return { id, statuses: seen.filter((s) => s.taskId === id).map((s) => s.status) }
  } finally {
    off()
  }
}

describe('the setup cache', () => {
  it('restores what setup made for the same key, and runs setup again when a lockfile changes', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, {
      'setup.sh': SETUP,
      '.gitignore': 'node_modules/\n',
      'package-lock.json': '{"lockfileVersion":3}\n',
    })
    const model = await startModelServer([CAT, FINISH, CAT, FINISH, FINISH, FINISH])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const first = await runTask(engine, repo)
      expect(first.statuses).toContain('setting_up')
      expect(await engine.store.readArtifact(first.id, 'setup.log')).toContain('setup-ran')

      const second = await runTask(engine, repo)
      const log = (await engine.store.readArtifact(second.id, 'setup.log')) ?? ''
      const saved = /Setup restored from cache \(saved (\d+) s, key [0-9a-f]{12}…\)/.exec(log)
      expect(saved, log).not.toBeNull()
      // Setup sleeps 3 s, so the first run took at least that; a loaded machine takes longer.
      expect(Number(saved![1])).toBeGreaterThanOrEqual(3)
      expect(log).not.toContain('setup-ran')
      // No setup container: the task never entered setting_up.
      expect(second.statuses).not.toContain('setting_up')
      const events = await engine.store.readEvents(second.id)
      expect(events.some((e) => e.type === 'log' && e.text.includes('Setup restored from cache'))).toBe(true)
      const seen = lastToolOutput(model.requests[3]!.body.messages)
      expect(seen).toContain("module.exports = 'built'")
      // What setup wrote to HOME comes back too.
      expect(seen).toContain('home-made')

      // A corrupt entry: the task runs setup instead (and says so); the entry is dropped, not reused.
      const cacheRoot = join(root, 'data', 'setup-cache')
      const [entry] = (await readdir(cacheRoot)).filter((n) => /^[0-9a-f]{64}$/.test(n))
      await writeFile(join(cacheRoot, entry!, 'meta.json'), '{corrupt')
      const fallback = await runTask(engine, repo)
      expect(fallback.statuses).toContain('setting_up')
      const fallbackLog = (await engine.store.readArtifact(fallback.id, 'setup.log')) ?? ''
      expect(fallbackLog).toMatch(/The setup cache could not be restored .*running setup instead/)
      expect(fallbackLog).toContain('setup-ran')
      expect(await readdir(cacheRoot)).not.toContain(entry)

      await writeFile(join(repo, 'package-lock.json'), '{"lockfileVersion":3,"changed":true}\n')
      const third = await runTask(engine, repo)
      expect(third.statuses).toContain('setting_up')
      const thirdLog = (await engine.store.readArtifact(third.id, 'setup.log')) ?? ''
      expect(thirdLog).toContain('setup-ran')
      expect(thirdLog).not.toContain('restored from cache')
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('runs setup again for a task that asks to (Run setup again), and saves its result anew', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, {
      'setup.sh': 'mkdir -p node_modules/x\necho x > node_modules/x/index.js\necho setup-ran\n',
    })
    const model = await startModelServer([FINISH, FINISH, FINISH, FINISH])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      await runTask(engine, repo)
      const again = await runTask(engine, repo, true)
      const log = (await engine.store.readArtifact(again.id, 'setup.log')) ?? ''
      expect(log).toContain('setup-ran')
      expect(log).not.toContain('restored from cache')
      // The entry is still there for the next task.
      const third = await runTask(engine, repo)
      expect(await engine.store.readArtifact(third.id, 'setup.log')).toMatch(/Setup restored from cache/)
      // Settings → Clear setup cache (system.clearSetupCache): the next task runs setup.
      expect(await engine.clearSetupCache()).toEqual({ entries: 1 })
      const fourth = await runTask(engine, repo)
      expect(await engine.store.readArtifact(fourth.id, 'setup.log')).toContain('setup-ran')
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('keeps no entry beyond the size cap of Settings (setupCache.maxBytes)', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'setup.sh': 'mkdir -p node_modules/x\necho x > node_modules/x/index.js\n' })
    const model = await startModelServer([FINISH])
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      settings: { setupCache: { maxBytes: 0 } },
    })
    try {
      const { id } = await runTask(engine, repo)
      expect(engine.get(id).status).toBe('review')
      const entries = await readdir(join(root, 'data', 'setup-cache'))
      expect(entries.filter((n) => /^[0-9a-f]{64}$/.test(n))).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  })
})
