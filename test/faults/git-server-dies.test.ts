import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openTestEngine, waitForEvent, waitForStatus } from '../support/engine'
import { auditStore, orphansOf } from '../support/engine-child-audit'
import { writeFiles } from '../support/files'
import { startGitServer } from '../support/git-server'
import { startModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'
import { expectFault } from './support/fault-table'

/**
 * The real git server (git http-backend on 127.0.0.1) closed while a task clones a repository big enough
 * that the clone is in flight: the task fails with a message that names the repository and says the
 * clone was cut off, no partial workspace is left as if imported, no container, and the engine runs the
 * next task.
 */
const FILES = 24
const FILE_BYTES = 1024 * 1024

const FINISH: ScriptStep[] = [{ toolCalls: [{ name: 'finish', args: { summary: 'Nothing to do.' } }] }]

describe('git server dying mid-clone', () => {
  it('fails the task with a clear message, keeps no partial workspace, and the engine goes on', async () => {
    const server = await startGitServer()
    // Random content: nothing to compress or delta, so the pack is ~24 MB on the wire.
    const files: Record<string, string> = {}
    for (let i = 0; i < FILES; i++) files[`blob-${i}.txt`] = randomBytes(FILE_BYTES * 0.75).toString('base64')
    const url = await server.createRepo('big', files)
    const model = await startModelServer(FINISH)
    const dataDir = join(await tempDir(), 'data')
    const engine = await openTestEngine({ dataDir, baseURL: model.baseURL })
    let closed = false
    try {
      const { id } = await engine.submit({ source: { kind: 'git', url }, prompt: 'Look at it' })
      // The server answers the ref list, then starts sending the pack: close it as the clone reports.
      await waitForEvent(engine, id, (e) => e.type === 'progress' && e.phase === 'clone', 60_000)
      const packRequests = server.requests.filter((r) => r.url.includes('git-upload-pack')).length
      await server.close()
      closed = true
      const failed = await waitForStatus(engine, id, ['failed'], 60_000)
      expect(packRequests).toBeGreaterThan(0)
      expect(failed.error?.kind).toBe('git_failed')
      expect(failed.error?.message).toContain(url)
      expect(failed.error?.message).toBe(`The clone of ${url} was cut off before it finished.`)
      expect(failed.error?.hint).toBeTruthy()
      // Nothing presented as imported: no baseline, and no half-cloned files in the workspace.
      expect(failed.baselineCommit).toBeUndefined()
      const workspace = engine.store.paths(id).workspace
      expect(existsSync(workspace) ? readdirSync(workspace) : []).toEqual([])

      // The engine answers a new task.
      const repo = join(await tempDir(), 'repo')
      await writeFiles(repo, { 'a.txt': 'a\n' })
      const next = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'Look at it' })
      const done = await waitForStatus(engine, next.id, ['review'], 120_000)

      const audit = await auditStore(dataDir, [id, next.id], [next.id])
      const row = {
        fault: 'git server dying mid-clone',
        finalState: `${failed.status} (${failed.error?.kind}); next task → ${done.status}`,
        expectedState: 'failed (git_failed); next task → review',
        lost: audit.lost,
        orphans: (await orphansOf(id)) + (await orphansOf(next.id)),
      }
      expectFault(row, audit.notes.join('; '))
      console.log(`[git-server-dies] ${failed.error?.message}`)
    } finally {
      await engine.close()
      await model.close()
      if (!closed) await server.close()
    }
  })
})
