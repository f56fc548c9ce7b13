import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { TaskRecord } from '../../src/shared/task'
import { auditStore, orphansOf } from '../support/engine-child-audit'
import { openTestEngine, waitForEvent, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'
import { fillDisk, mountTmpfs } from '../unit/engine/task-store-tmpfs'
import { expectFault } from './support/fault-table'

/**
 * The data dir on a real 64 MB tmpfs that fills up at each stage of a task: before the import (refused),
 * during it, during the turn's event writes, during the diff, during an export. After each: the task's
 * state and message, the store read back whole, no container left, and the engine answering again.
 */
let disk: Awaited<ReturnType<typeof mountTmpfs>>
let model: ModelServer
let engine: TaskEngine
let dataDir: string
let unfill: (() => void) | undefined
const script: ScriptStep[] = []
const ids: string[] = []

beforeAll(async () => {
  disk = await mountTmpfs('64m')
  dataDir = join(disk.dir, 'data')
  model = await startModelServer(script)
  engine = await openTestEngine({ dataDir, baseURL: model.baseURL })
})
afterEach(() => free())
afterAll(async () => {
  unfill?.()
  await engine?.close()
  await model?.close()
  await disk?.unmount()
})

const FULL = /^The disk holding (.+) is full \((\d+) MB free(; about \d+ MB needed)?\)\.$/
const finish = (summary: string): ScriptStep => ({ toolCalls: [{ name: 'finish', args: { summary } }] })
const shell = (command: string): ScriptStep => ({ toolCalls: [{ name: 'shell', args: { command } }] })

function fill(leaveBytes = 0): void {
  unfill = fillDisk(disk.dir, leaveBytes)
}
function free(): void {
  unfill?.()
  unfill = undefined
}

async function submitFolder(files: Record<string, string | Buffer>, prompt = 'Work'): Promise<string> {
  const repo = join(await tempDir(), 'repo')
  await writeFiles(repo, files)
  const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt })
  ids.push(id)
  return id
}

const settled = (id: string): Promise<TaskRecord> =>
  waitForStatus(engine, id, ['failed', 'review', 'cancelled', 'interrupted']).catch(() => engine.get(id))

/** Records and asserts the row: the task failed with the disk-full error, the store reads back whole. */
async function expectDiskFullRow(fault: string, id: string, task: TaskRecord): Promise<void> {
  free()
  // What the full disk held back reaches task.json and events.jsonl once there is space.
  await until(() => engine.store.isSaved(id))
  const audit = await auditStore(dataDir, ids)
  const onDisk = audit.store.get(id)
  const finalState = `${onDisk.status} (${onDisk.error?.kind ?? 'no error'})`
  const row = {
    fault,
    finalState,
    expectedState: 'failed (disk_full)',
    lost: audit.lost,
    orphans: await orphansOf(id),
  }
  expectFault(row, audit.notes.join('; '))
  expect(task.error?.message).toMatch(FULL)
  expect(FULL.exec(task.error!.message)![1]).toBe(dataDir)
  expect(task.error?.hint).toMatch(/Free some disk space/)
  // Said once: one error event, then the failed status, both in the stored timeline.
  const events = await audit.store.readEvents(id)
  expect(events.filter((e) => e.type === 'error')).toHaveLength(1)
  expect(events.at(-1)).toMatchObject({ type: 'status', status: 'failed' })
  expect(events.map((e) => e.seq)).toEqual([...events.keys()])
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('the store did not catch up in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Many small files: a copy that takes long enough for the disk to fill while it runs. */
const manyFiles = (count: number, bytes: number): Record<string, string> =>
  Object.fromEntries(
    [...Array(count).keys()].map((i) => [`src/d${i % 40}/f${i}.txt`, `${i}`.padEnd(bytes, '.')]),
  )

describe('the data dir fills up', () => {
  it('refuses an import when the disk has less free than the source plus a margin', async () => {
    fill(4 * 1024 * 1024)
    const id = await submitFolder({ 'big.bin': Buffer.alloc(2 * 1024 * 1024, 1), 'a.txt': 'a\n' })
    const task = await settled(id)
    expect(task.error?.message).toMatch(/; about \d+ MB needed\)\.$/)
    await expectDiskFullRow('disk full before import (refused)', id, task)
  })

  it('fails an import the disk fills up under, and removes the half copy', async () => {
    const id = await submitFolder(manyFiles(4000, 4096))
    await waitForEvent(engine, id, (e) => e.type === 'progress' && e.phase === 'import', 30_000)
    fill()
    const task = await settled(id)
    await expectDiskFullRow('disk fills during import', id, task)
    expect(existsSync(engine.store.paths(id).workspace)).toBe(false)
  })

  it('answers a new task once there is space, and fails an export on a full disk without harm', async () => {
    script.push(shell('echo changed > a.txt'), finish('Changed a.txt.'))
    const id = await submitFolder({ 'a.txt': 'a\n' })
    const task = await waitForStatus(engine, id, ['review'])
    expect(task.diff?.files).toBe(1)
    fill()
    const exported = engine.publish({ kind: 'export', id, format: 'zip' })
    await expect(exported).rejects.toMatchObject({ kind: 'disk_full', message: expect.stringMatching(FULL) })
    free()
    const audit = await auditStore(dataDir, ids, [id])
    const after = audit.store.get(id)
    const finalState = `${after.status} (${(after.outcomes ?? []).length} outcomes)`
    const row = {
      fault: 'disk full during export (zip)',
      finalState,
      expectedState: 'review (0 outcomes)',
      lost: audit.lost,
      orphans: await orphansOf(id),
    }
    expectFault(row, audit.notes.join('; '))
    // Space again: the same export goes through, once.
    const outcome = await engine.publish({ kind: 'export', id, format: 'zip' })
    expect(outcome).toMatchObject({ kind: 'exported', format: 'zip' })
    expect(engine.get(id).outcomes).toHaveLength(1)
  })

  it('fails a turn whose events and conversation the disk stops taking, and keeps every event', async () => {
    // A tool output bigger than the slack of the file's last page: its event cannot be appended.
    script.push(shell('sleep 2; echo slept; seq 1 20000'), finish('Slept.'))
    const id = await submitFolder({ 'a.txt': 'a\n' })
    await waitForEvent(engine, id, (e) => e.type === 'tool_call', 60_000)
    fill()
    const task = await settled(id)
    // The first write the disk refused stopped the turn at once: its last step may never have been asked
    // for. Dropped, so the next test's steps are the next ones the server answers.
    script.length = model.requests.length
    await expectDiskFullRow('disk fills during the turn (events)', id, task)
    // Written once there was space again, in their places: every event the engine told of is on disk.
    const stored = await (await auditStore(dataDir, ids)).store.readEvents(id)
    expect(stored).toEqual(await engine.events(id))
    expect(stored.map((e) => e.type)).toContain('tool_call')
  })

  it('fails the diff of a turn that filled the disk', async () => {
    // The agent writes 6 MB the diff must store again (random: it does not compress) with 9 MB free.
    script.push(shell('head -c 6000000 /dev/urandom > blob.bin; echo wrote'), finish('Wrote blob.bin.'))
    const id = await submitFolder({ 'a.txt': 'a\n' })
    await waitForEvent(engine, id, (e) => e.type === 'tool_call', 60_000)
    fill(9 * 1024 * 1024)
    const task = await settled(id)
    const events = await engine.events(id)
    expect(events.some((e) => e.type === 'tool_result' && e.output.includes('wrote'))).toBe(true)
    // The turn's end was written (conversation.json, before the diff); the diff never was.
    expect(await engine.store.readArtifact(id, 'conversation.json')).toContain('blob.bin')
    expect(events.some((e) => e.type === 'diff')).toBe(false)
    await expectDiskFullRow('disk fills during the diff', id, task)
  })

  it('runs a new task to review after all of it', async () => {
    script.push(finish('Nothing to do.'))
    const id = await submitFolder({ 'a.txt': 'a\n' })
    await waitForStatus(engine, id, ['review'])
    const audit = await auditStore(dataDir, ids)
    expect(audit.notes).toEqual([])
    expect(
      audit.store
        .list()
        .map((t) => t.id)
        .sort(),
    ).toEqual([...ids].sort())
  })
})
