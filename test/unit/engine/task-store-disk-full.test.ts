import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newTaskRecord } from '../../../src/main/engine/new-task'
import { TaskStore } from '../../../src/main/engine/task-store'
import type { AppError } from '../../../src/main/errors'
import { defaultSettings } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'
import { fillDisk, mountTmpfs } from './task-store-tmpfs'

/** The store on a real 8 MB tmpfs that is filled up: what a full disk does to records, events and logs. */
let disk: Awaited<ReturnType<typeof mountTmpfs>>
beforeAll(async () => {
  disk = await mountTmpfs('8m')
})
afterAll(async () => {
  await disk.unmount()
})

async function storeWithTask(name: string): Promise<{ store: TaskStore; id: string; dataDir: string }> {
  const dataDir = join(disk.dir, name)
  const store = await TaskStore.open(dataDir)
  const input = submitTaskInputSchema.parse({ source: { kind: 'folder', path: dataDir }, prompt: 'p' })
  const task = newTaskRecord(input, defaultSettings())
  await store.create(task)
  return { store, id: task.id, dataDir }
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean)

describe('TaskStore on a full disk', () => {
  it('keeps task.json whole, keeps the new state in memory, and saves it once there is space', async () => {
    const { store, id, dataDir } = await storeWithTask('records')
    await store.update(id, { status: 'running' })
    const failures: AppError[] = []
    store.onWriteFailure = (_id, error) => failures.push(error)
    const unfill = fillDisk(disk.dir)
    try {
      // Resolves: the record is the truth in memory; the disk keeps the last whole one.
      await store.update(id, { status: 'failed', summary: 'x'.repeat(64 * 1024) })
      await store.update(id, { status: 'failed', summary: 'y'.repeat(64 * 1024) })
      store.appendEvent(id, { type: 'log', stream: 'system', text: 'x'.repeat(64 * 1024) })
      await new Promise((r) => setTimeout(r, 2500)) // retries meanwhile, refused again: told once
      expect(store.get(id).status).toBe('failed')
      expect(store.isSaved(id)).toBe(false)
      const onDisk = JSON.parse(readFileSync(store.paths(id).record, 'utf8')) as { status: string }
      expect(onDisk.status).toBe('running')
      expect(readdirSync(store.paths(id).dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
      expect(failures).toHaveLength(1)
      expect(failures[0]!.kind).toBe('disk_full')
      expect(failures[0]!.message).toMatch(
        new RegExp(`^The disk holding ${dataDir} is full \\(\\d+ MB free\\)\\.$`),
      )
      expect(failures[0]!.hint).toMatch(/Free some disk space/)
    } finally {
      unfill()
    }
    await until(() => store.isSaved(id))
    const reopened = await TaskStore.open(dataDir)
    expect(reopened.get(id).status).toBe('failed')
    expect(reopened.get(id).summary).toBe('y'.repeat(64 * 1024))
  })

  it('never throws on an event append, keeps what it could not write readable, and writes it later in order', async () => {
    const { store, id, dataDir } = await storeWithTask('events')
    store.appendEvent(id, { type: 'status', status: 'running' })
    // Room for part of one event: the first refused append is cut short mid-line by the disk.
    const unfill = fillDisk(disk.dir, 12 * 1024)
    const big = 'z'.repeat(20_000)
    try {
      for (let i = 0; i < 20; i++) {
        expect(() =>
          store.appendEvent(id, { type: 'log', stream: 'system', text: `${i} ${big}\n` }),
        ).not.toThrow()
        expect(() => store.appendArtifact(id, 'agent.log', `line ${i}\n`)).not.toThrow()
      }
      // The file holds whole lines only: a refused append was cut back, not left half written.
      const text = readFileSync(store.paths(id).events, 'utf8')
      expect(text.endsWith('\n')).toBe(true)
      for (const line of lines(store.paths(id).events)) expect(() => JSON.parse(line)).not.toThrow()
      expect((await store.readEvents(id)).map((e) => e.seq)).toEqual([...Array(21).keys()])
      expect(store.isSaved(id)).toBe(false)
    } finally {
      unfill()
    }
    await until(() => store.isSaved(id))
    const stored = lines(store.paths(id).events).map((l) => JSON.parse(l) as { seq: number })
    expect(stored.map((e) => e.seq)).toEqual([...Array(21).keys()])
    expect(lines(store.artifactPath(id, 'agent.log'))).toEqual([...Array(20).keys()].map((i) => `line ${i}`))
    const reopened = await TaskStore.open(dataDir)
    expect((await reopened.readEvents(id)).length).toBe(21)
  })

  it('fails an artifact write with the disk-full error and leaves the old artifact whole', async () => {
    const { store, id, dataDir } = await storeWithTask('artifacts')
    await store.writeArtifact(id, 'conversation.json', '[1]')
    const unfill = fillDisk(disk.dir)
    try {
      const write = store.writeArtifact(id, 'conversation.json', JSON.stringify(Array(100_000).fill(2)))
      await expect(write).rejects.toMatchObject({
        kind: 'disk_full',
        message: expect.stringMatching(new RegExp(`^The disk holding ${dataDir} is full \\(\\d+ MB free\\)`)),
      })
      expect(await store.readArtifact(id, 'conversation.json')).toBe('[1]')
      expect(readdirSync(store.paths(id).artifacts).filter((n) => n.endsWith('.tmp'))).toEqual([])
    } finally {
      unfill()
    }
  })
})
