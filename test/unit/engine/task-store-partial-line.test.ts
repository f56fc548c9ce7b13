import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { newTaskRecord } from '../../../src/main/engine/new-task'
import { TaskStore } from '../../../src/main/engine/task-store'
import { defaultSettings } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'
import { tempDir } from '../../support/tmp'

/** What a crash (kill -9, power loss) mid-write leaves behind, and how the next start reads and repairs it. */
async function crashedTask(): Promise<{ dataDir: string; id: string; store: TaskStore }> {
  const dataDir = await tempDir()
  const store = await TaskStore.open(dataDir)
  const input = submitTaskInputSchema.parse({ source: { kind: 'folder', path: dataDir }, prompt: 'p' })
  const task = newTaskRecord(input, defaultSettings())
  await store.create(task)
  store.appendEvent(task.id, { type: 'status', status: 'queued' })
  store.appendEvent(task.id, { type: 'status', status: 'preparing' })
  return { dataDir, id: task.id, store }
}

describe('TaskStore after a crash mid-write', () => {
  it('reads the whole events before a half line, and the next append cuts it off instead of gluing onto it', async () => {
    const { dataDir, id, store } = await crashedTask()
    const events = store.paths(id).events
    appendFileSync(events, '{"type":"log","stream":"system","text":"cut sh') // no newline: the crash
    const restarted = await TaskStore.open(dataDir)
    expect((await restarted.readEvents(id)).map((e) => e.seq)).toEqual([0, 1])
    const next = restarted.appendEvent(id, { type: 'status', status: 'interrupted' })
    expect(next.seq).toBe(2)
    const lines = readFileSync(events, 'utf8').split('\n')
    expect(lines.at(-1)).toBe('')
    const parsed = lines.filter(Boolean).map((l) => JSON.parse(l) as { seq: number })
    expect(parsed.map((e) => e.seq)).toEqual([0, 1, 2])
  })

  it('keeps the last whole task.json and removes the temporary file of a write cut off', async () => {
    const { dataDir, id, store } = await crashedTask()
    await store.update(id, { status: 'running' })
    const dir = store.paths(id).dir
    const temp = join(dir, `task.json.4242.k3j5h2.tmp`)
    writeFileSync(temp, '{"id": "half')
    const restarted = await TaskStore.open(dataDir)
    expect(restarted.get(id).status).toBe('running')
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })
})
