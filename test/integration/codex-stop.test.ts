import { cp, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { codexShell, makeRepo, taskContainers } from '../support/codex'
import { requireDocker, testBaseImage } from '../support/docker'
import { openTestEngine, TEST_API_KEY, waitForEvent, waitForStatus } from '../support/engine'
import { startModelServer } from '../support/model-server'
import { memorySecrets, memorySettings } from '../support/services'
import { tempDir } from '../support/tmp'

/** Codex stopped from outside (cancel, the time limit), and Codex missing from its image. */

const SLEEP = codexShell('sleep 120', { yield_time_ms: 30000 })

describe('stopping the Codex runtime', () => {
  it('a cancel stops Codex and its container within 5 s', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([SLEEP, { text: 'never' }])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Sleep',
        runtime: 'codex',
      })
      await waitForEvent(engine, id, (e) => e.type === 'tool_call' && e.name === 'shell', 120_000)
      const started = Date.now()
      await engine.cancel(id)
      const task = await waitForStatus(engine, id, ['cancelled'])
      const took = Date.now() - started
      console.log(`codex cancel took ${took} ms`)
      expect(took).toBeLessThan(5000)
      expect(task.status).toBe('cancelled')
      expect(await taskContainers(id)).toEqual([])
      expect(model.requests).toHaveLength(1)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('the time limit stops Codex within 5 s of it, and the task says timeout', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const model = await startModelServer([SLEEP, { text: 'never' }])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const limit = 15_000
      const submitted = Date.now()
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Sleep',
        runtime: 'codex',
        limits: { timeLimitMs: limit },
      })
      await waitForEvent(engine, id, (e) => e.type === 'tool_call' && e.name === 'shell', limit)
      const task = await waitForStatus(engine, id, ['failed'], limit + 30_000)
      const late = Date.now() - (submitted + limit)
      console.log(`codex stopped ${late} ms after the time limit`)
      expect(task.error?.kind).toBe('timeout')
      expect(late).toBeLessThan(5000)
      expect(await taskContainers(id)).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('says so when Codex is missing from the image', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    // The agent image's own context (same tag), with a codex variant that installs nothing.
    const context = join(root, 'agent-image')
    await cp(agentImageDir(), context, { recursive: true })
    await writeFile(
      join(context, 'codex', 'Dockerfile'),
      `ARG AGENT_IMAGE\nFROM \${AGENT_IMAGE}\nLABEL nonce="${root}"\n`,
    )
    const model = await startModelServer([{ text: 'never' }])
    const settings = memorySettings({ model: 'scripted-model', baseUrl: model.baseURL })
    const services = await openServices({
      dataDir: join(root, 'data'),
      settings,
      secrets: await memorySecrets({ openai: TEST_API_KEY }, currentEndpoints(settings.get())),
      agentImage: { contextDir: context, baseImage: testBaseImage() },
      idPrefix: 'test-',
    })
    const { engine } = services
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'x',
        runtime: 'codex',
      })
      const task = await waitForStatus(engine, id, ['failed'], 240_000)
      expect(task.error?.kind).toBe('image_missing')
      expect(task.error?.message).toBe(
        'Codex CLI is not installed in the sandbox image (codex: command not found).',
      )
      expect(model.requests).toHaveLength(0)
    } finally {
      await engine.close()
      await model.close()
      const docker = await requireDocker()
      for (const image of await docker.listImages({ filters: { label: [`nonce=${root}`] } })) {
        await docker.getImage(image.Id).remove({ force: true })
      }
    }
  })
})
