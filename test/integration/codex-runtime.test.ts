import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDiffSnapshot } from '../../src/main/engine/diff-snapshot'
import {
  codexShell,
  codexPatch,
  containerSecrets,
  eventTimes,
  makeRepo,
  taskContainers,
} from '../support/codex'
import { openTestEngine, TEST_API_KEY, waitForStatus } from '../support/engine'
import { startModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'

/**
 * The Codex CLI runtime end to end: the real codex binary of the pinned npm package, in the codex image
 * variant, driven by the scripted Responses API server on 127.0.0.1 through the host's model proxy.
 */

describe('the Codex runtime', () => {
  it('reaches review with the diff of a shell command and an apply_patch edit; the key stays on the host', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'notes.txt': 'a\nb\n', 'AGENTS.md': 'Be brief.\n' })
    const secretsSeen: string[] = []
    let probeDone: Promise<void> = Promise.resolve()
    const script: ScriptStep[] = [
      codexShell('echo ran-in-sandbox; printf "extra\\n" >> notes.txt'),
      // Held back, so the container can be searched while Codex is alive and waiting on the model.
      {
        ...codexPatch('*** Add File: hello.txt\n+hello\n*** Update File: notes.txt\n@@\n a\n-b\n+c'),
        delayMs: 4000,
      },
      {
        text: 'Added hello.txt and changed notes.txt.',
        usage: { prompt_tokens: 300, completion_tokens: 40 },
      },
    ]
    const model = await startModelServer(
      (_req, i) => {
        if (i === 1) {
          probeDone = (async () => {
            const [id] = await taskContainers(task.id)
            if (id) secretsSeen.push(await containerSecrets(id))
          })()
        }
        return script[i] ?? { status: 500, error: { message: 'past the script' } }
      },
      { apiKey: TEST_API_KEY },
    )
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    let task = { id: '' }
    try {
      task = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Edit the notes',
        runtime: 'codex',
      })
      const times = eventTimes(engine, task.id)
      const done = await waitForStatus(engine, task.id, ['review'], 240_000)
      await probeDone
      expect(done.runtime).toBe('codex')
      // The diff, computed by the engine from its private git dir, as for the built-in loop.
      expect(done.diff).toMatchObject({ files: 2 })
      const snapshot = await readDiffSnapshot(engine.store, task.id)
      const files = Object.fromEntries(snapshot!.fileDiffs.map((f) => [f.newPath ?? f.oldPath, f.status]))
      expect(files).toEqual({ 'hello.txt': 'added', 'notes.txt': 'modified' })
      const patch = (await engine.store.readArtifact(task.id, 'diff.patch')) ?? ''
      expect(patch).toContain('+hello')
      expect(patch).toContain('+c')
      expect(patch).toContain('+extra')
      // The timeline: the same event types the built-in loop emits.
      const events = times.map((t) => t.event)
      const calls = events.flatMap((e) => (e.type === 'tool_call' ? [e.name] : []))
      expect(calls).toEqual(['shell', 'apply_patch'])
      const shell = events.find((e) => e.type === 'tool_result' && e.name === 'shell')
      expect(shell).toMatchObject({ ok: true, output: expect.stringContaining('ran-in-sandbox') })
      expect(
        events.some((e) => e.type === 'model_text' && e.text === 'Added hello.txt and changed notes.txt.'),
      ).toBe(true)
      const usage = events.filter((e) => e.type === 'usage')
      expect(usage).toHaveLength(3)
      expect(done.usage).toMatchObject({ steps: 3, promptTokens: 500, completionTokens: 80 })
      // 'scripted-model' has no price: the cost is unknown (never guessed), the token limit still applies.
      expect(done.usage).toMatchObject({ costUsd: 0, costKnown: false })
      expect(done.summary).toBe('Added hello.txt and changed notes.txt.')
      // Codex read AGENTS.md itself: it is in the first request's input.
      expect(JSON.stringify(model.requests[0]!.body.input)).toContain('Be brief.')
      // The scripted server saw only the real key; the container only the placeholder.
      const responses = model.hits.filter((h) => h.path === '/v1/responses')
      expect(responses.length).toBe(4) // the probe, then Codex's three requests
      expect(responses.every((h) => h.authorization === `Bearer ${TEST_API_KEY}`)).toBe(true)
      expect(secretsSeen).toHaveLength(1)
      const inside = secretsSeen[0]!
      expect(inside).not.toContain(TEST_API_KEY)
      const placeholder = /CODEX_SYS_MODEL_KEY=(sk-codex-sandbox-[A-Za-z0-9_-]+)/.exec(inside)?.[1]
      expect(placeholder, 'the placeholder is in the Codex process environment').toBeTruthy()
      expect(inside).toContain('base_url = "http://127.0.0.1:3129/v1"')
      // Stderr went to agent.log.
      const log = await readFile(engine.store.artifactPath(task.id, 'agent.log'), 'utf8')
      expect(log).toMatch(/WARN codex_/)
      // Start overhead: the agent container ready (status running) → Codex's first model request.
      const running = times.find((t) => t.event.type === 'status' && t.event.status === 'running')!.at
      const first = model.requests[0]!.receivedAt
      console.log(`codex start overhead: ${first - running} ms (container ready → first model request)`)
      expect(await taskContainers(task.id)).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('ends the task budget_exceeded when the proxy finds the budget spent', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([
      { ...codexShell('echo one'), usage: { prompt_tokens: 900, completion_tokens: 300 } },
      { text: 'never reached' },
    ])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Spend',
        runtime: 'codex',
        limits: { maxTokens: 1000 },
      })
      const failed = await waitForStatus(engine, id, ['failed'], 240_000)
      expect(failed.error?.kind).toBe('budget_exceeded')
      expect(failed.error?.message).toMatch(/Token limit reached: 1,200 of 1,000/)
      // The second request was refused at the proxy: the server saw only the first.
      expect(model.requests.length).toBe(1)
      expect(await taskContainers(id)).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('says before the task starts that an endpoint without the Responses API cannot run Codex', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([], { apis: ['chat'] })
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const statuses: string[] = []
      engine.subscribe((e) => e.type === 'status' && statuses.push(e.status))
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'x',
        runtime: 'codex',
      })
      const failed = await waitForStatus(engine, id, ['failed'])
      expect(failed.error?.kind).toBe('unsupported')
      expect(failed.error?.message).toContain(`The model endpoint ${model.baseURL} has no Responses API`)
      expect(model.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['POST /v1/responses'])
      expect(statuses).toEqual(['queued', 'preparing', 'failed'])
      expect(await taskContainers(id)).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('a follow-up resumes the Codex session on the same workspace (agent network registries: both sockets)', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([
      codexShell('echo one > one.txt'),
      { text: 'Wrote one.txt.' },
      codexPatch('*** Add File: two.txt\n+two'),
      { text: 'Wrote two.txt too.' },
    ])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Write one',
        runtime: 'codex',
        network: { agent: { mode: 'registries' } },
      })
      await waitForStatus(engine, id, ['review'], 240_000)
      await engine.followUp(id, 'Also write two')
      const done = await waitForStatus(engine, id, ['review'], 240_000)
      expect(done.turns).toBe(2)
      expect(done.summary).toBe('Wrote two.txt too.')
      expect(done.diff).toMatchObject({ files: 2 })
      // The resumed session carries the first turn: its prompt and answer are in the follow-up's input.
      const input = JSON.stringify(model.requests[2]!.body.input)
      expect(input).toContain('Write one')
      expect(input).toContain('Wrote one.txt.')
      expect(input).toContain('Also write two')
      const thread = (await engine.store.readArtifact(id, 'codex-thread.txt'))?.trim()
      expect(model.requests[2]!.headers['thread-id']).toBe(thread)
    } finally {
      await engine.close()
      await model.close()
    }
  })
})
