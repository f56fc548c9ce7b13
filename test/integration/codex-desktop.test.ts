import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import { codexPatch, containerSecrets, makeRepo, taskContainers } from '../support/codex'
import { openTestEngine, TEST_API_KEY, waitForStatus } from '../support/engine'
import { startModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'

const run = promisify(execFile)

/** An engine that says it is Docker Desktop: the engine picks the exec tunnel (see network-desktop.test.ts). */
class DockerDesktopLike extends Docker {
  override async info(): Promise<Record<string, unknown>> {
    const info = (await super.info()) as Record<string, unknown>
    return { ...info, OperatingSystem: 'Docker Desktop', Name: 'docker-desktop' }
  }
}

/**
 * The Codex runtime on Docker Desktop's path: the agent phase's network off, so the only socket the engine
 * serves is model.sock, and Codex reaches it through codex-mux over the exec tunnel (no mount of the
 * host's socket directory, the container's network `none`).
 */
describe('the Codex runtime over the exec tunnel', () => {
  it('reaches review with only model.sock carried by codex-mux', async () => {
    const root = await tempDir()
    const repo = await makeRepo(root, { 'a.txt': 'a\n' })
    const dataDir = join(root, 'data')
    let inside: Promise<{ secrets: string; netDir: string[]; host: string }> | undefined
    const script: ScriptStep[] = [
      codexPatch('*** Add File: b.txt\n+b'),
      // Held back, so the container can be searched while Codex is alive and waiting on the model.
      { text: 'Added b.txt.', delayMs: 4000 },
    ]
    const model = await startModelServer(
      (_req, i) => {
        if (i === 1) {
          inside ??= (async () => {
            const [id] = await taskContainers(task.id)
            if (!id) return { secrets: '', netDir: [], host: '' }
            const secrets = await containerSecrets(id)
            const netDir = await readdir(join(engine.store.paths(task.id).dir, 'net', 'agent'))
            const format = '{{.HostConfig.NetworkMode}} {{range .Mounts}}{{.Destination}},{{end}}'
            const host = (await run('docker', ['inspect', '--format', format, id])).stdout.trim()
            return { secrets, netDir, host }
          })()
          inside.catch(() => undefined)
        }
        return script[i] ?? { status: 500, error: { message: 'past the script' } }
      },
      { apiKey: TEST_API_KEY },
    )
    const engine = await openTestEngine({ dataDir, baseURL: model.baseURL, docker: new DockerDesktopLike() })
    let task = { id: '' }
    try {
      task = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Add b',
        runtime: 'codex',
        network: { agent: { mode: 'off' } },
      })
      const done = await waitForStatus(engine, task.id, ['review'], 240_000)
      expect(done.diff).toMatchObject({ files: 1 })
      expect(done.summary).toBe('Added b.txt.')
      const patch = (await engine.store.readArtifact(task.id, 'diff.patch')) ?? ''
      expect(patch).toContain('+b')
      // Codex's requests went through the tunnel to the model proxy, which added the real key.
      const responses = model.hits.filter((h) => h.path === '/v1/responses')
      expect(responses.length).toBe(3) // the probe, then Codex's two requests
      expect(responses.every((h) => h.authorization === `Bearer ${TEST_API_KEY}`)).toBe(true)
      const seen = await inside!
      // The engine served model.sock only; the container had no mount of it, nor the key.
      expect(seen.netDir).toEqual(['model.sock'])
      expect(seen.secrets).not.toContain(TEST_API_KEY)
      // codex-mux's command line: the model port only.
      const mux = seen.secrets.includes('codex-mux\u00003129\u0000\n')
      expect(mux, 'codex-mux runs, for port 3129 only').toBe(true)
      expect(seen.host).toMatch(/^none /)
      expect(seen.host).not.toMatch(/net/)
      expect(await taskContainers(task.id)).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  }, 300_000)
})
