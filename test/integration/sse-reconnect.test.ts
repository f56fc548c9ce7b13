import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createHttpBridge } from '../../src/renderer/src/lib/http-bridge'
import type { AppEvent, TaskEvent } from '../../src/shared/events'
import type { TaskRecord } from '../../src/shared/task'
import { requireDocker, waitForTestImage } from '../support/docker'
import { waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { fetchWith } from '../support/http'
import type { ScriptStep } from '../support/model-server'
import { withTestAppServer } from '../support/services'
import { NodeEventSource } from '../support/sse-client'
import { tempDir } from '../support/tmp'
import { until } from '../support/until'

/** A short task: read a file, then finish (a dozen events or so). */
const script = (): ScriptStep[] => [
  { text: 'Reading the README.', toolCalls: [{ name: 'read_file', args: { path: 'README.md' } }] },
  { toolCalls: [{ name: 'finish', args: { summary: 'Read it.' } }] },
]

async function folder(): Promise<string> {
  const repo = join(await tempDir(), 'repo')
  await writeFiles(repo, { 'README.md': '# demo\n' })
  return repo
}

const statusOf = (event: TaskEvent): string | undefined =>
  event.type === 'status' ? event.status : undefined

/** A raw client's task events (parsed from its messages) and the SSE id of each message. */
function collect(source: NodeEventSource): { events: TaskEvent[]; ids: string[] } {
  const got = { events: [] as TaskEvent[], ids: [] as string[] }
  source.onmessage = ({ data, lastEventId }) => {
    got.ids.push(lastEventId ?? '')
    const event = JSON.parse(data) as AppEvent
    if (event.kind === 'task') got.events.push(event.event)
  }
  return got
}

beforeAll(async () => {
  await requireDocker()
  await waitForTestImage()
})

describe('the event stream across reconnects', () => {
  it('a bridge whose stream dropped mid-task delivers every event of it once, in order, once back', async () => {
    await withTestAppServer({ script: script() }, async ({ server, services, auth }) => {
      let online = true
      const sources: NodeEventSource[] = []
      const api = createHttpBridge(server.url, {
        fetch: fetchWith(auth),
        // Offline, streams go to a port nothing listens on: refused, as with the network down.
        eventSource: (url) => {
          const source = new NodeEventSource(online ? url : 'http://127.0.0.1:9/api/events', {
            headers: auth,
          })
          sources.push(source)
          return source
        },
        reconnectMs: 20,
        reconnectMaxMs: 200,
      })
      const seen: TaskEvent[] = []
      const records: TaskRecord[] = []
      const stop = api.onEvent((event) => {
        if (event.kind === 'task') seen.push(event.event)
        if (event.kind === 'task-updated') records.push(event.task)
      })
      await until(() => sources[0]!.readyState === NodeEventSource.OPEN || undefined, 5000, 'the stream')
      const submitted = await api['tasks.submit']({
        source: { kind: 'folder', path: await folder() },
        prompt: 'Read',
      })
      if (!submitted.ok) throw new Error(submitted.error.message)
      const id = submitted.value.id
      // An open timeline: it asked for the task's history, so its events are followed.
      await api['tasks.events']({ id })
      await until(() => seen.some((e) => statusOf(e) === 'running') || undefined, 120_000, 'running')
      online = false
      sources.at(-1)!.drop()
      await waitForStatus(services.engine, id, ['review'])
      const all = await services.engine.events(id)
      const missedWhileOffline = all.length - seen.length
      expect(missedWhileOffline).toBeGreaterThan(3)
      expect(seen.some((e) => statusOf(e) === 'review')).toBe(false)
      online = true
      await until(() => seen.some((e) => statusOf(e) === 'review') || undefined, 10_000, 'the catch-up')
      stop()
      expect(seen.map((e) => e.seq)).toEqual(all.map((e) => e.seq))
      expect(seen).toEqual(all)
      expect(records.filter((r) => r.id === id).at(-1)?.status).toBe('review')
    })
  })

  it('sends every event to 20 clients with ids, and replays what a reconnect missed after Last-Event-ID', async () => {
    await withTestAppServer({ script: script() }, async ({ server, services, auth }) => {
      const url = `${server.url}/api/events`
      const clients = Array.from({ length: 20 }, () => new NodeEventSource(url, { headers: auth }))
      const received = clients.map(collect)
      const leaving = new NodeEventSource(url, { headers: auth })
      const left = collect(leaving)
      await until(
        () => [...clients, leaving].every((c) => c.readyState === NodeEventSource.OPEN) || undefined,
      )
      const task = await services.engine.submit({
        source: { kind: 'folder', path: await folder() },
        prompt: 'Read',
      })
      await until(() => left.events.some((e) => statusOf(e) === 'running') || undefined, 120_000, 'running')
      leaving.drop()
      await waitForStatus(services.engine, task.id, ['review'])
      const all = await services.engine.events(task.id)
      const back = new NodeEventSource(url, { headers: auth, lastEventId: left.ids.at(-1)! })
      const replayed = collect(back)
      await until(
        () => replayed.events.some((e) => statusOf(e) === 'review') || undefined,
        10_000,
        'the replay',
      )
      expect([...left.events, ...replayed.events]).toEqual(all)
      await until(
        () => received.every((r) => r.events.length >= all.length) || undefined,
        10_000,
        'every client',
      )
      for (const r of received) {
        expect(r.events).toEqual(all)
        expect(new Set(r.ids).size).toBe(r.ids.length)
        expect(r.ids).toEqual(received[0]!.ids)
      }
      for (const client of [...clients, back]) client.close()
    })
  })
})
