import { useEffect, useState, useSyncExternalStore } from 'react'
import type { AppEvent, TaskEvent } from '../../../shared/events'
import type { TaskRecord } from '../../../shared/task'
import { api } from './api'

/**
 * The task records the UI shows, kept current by the engine's events: loaded once, then patched by each
 * `task-updated` event. One store for the whole window.
 */
class TaskListStore {
  private records = new Map<string, TaskRecord>()
  private snapshot: TaskRecord[] = []
  private readonly listeners = new Set<() => void>()
  loaded = false
  error: string | undefined

  constructor() {
    api.onEvent((event: AppEvent) => {
      if (event.kind === 'task-updated') this.put([event.task])
    })
    void this.reload()
  }

  async reload(): Promise<void> {
    const result = await api['tasks.list']({})
    if (result.ok) {
      this.records = new Map(result.value.map((t) => [t.id, t]))
      this.error = undefined
    } else {
      this.error = result.error.message
    }
    this.loaded = true
    this.publish()
  }

  put(tasks: TaskRecord[]): void {
    for (const task of tasks) this.records.set(task.id, task)
    this.publish()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Newest first. */
  getSnapshot = (): TaskRecord[] => this.snapshot

  private publish(): void {
    this.snapshot = [...this.records.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    for (const listener of this.listeners) listener()
  }
}

let store: TaskListStore | undefined
export const taskListStore = (): TaskListStore => (store ??= new TaskListStore())

/** Every task, newest first, live. */
export function useTaskList(): TaskRecord[] {
  const s = taskListStore()
  return useSyncExternalStore(s.subscribe, s.getSnapshot)
}

/** One task's record, live; undefined until known. */
export function useTask(id: string): TaskRecord | undefined {
  return useTaskList().find((t) => t.id === id)
}

/**
 * A task's events: the history from the engine, then each new one as it streams in. Events are
 * appended in order of `seq`; a gap or a repeat (reconnects) is healed by ignoring what is already known.
 */
export function useTaskEvents(id: string): TaskEvent[] {
  const [events, setEvents] = useState<TaskEvent[]>([])
  useEffect(() => {
    let known = -1
    let buffer: TaskEvent[] = []
    let loaded = false
    let cancelled = false
    const take = (incoming: TaskEvent[]): void => {
      const fresh = incoming.filter((e) => e.seq > known)
      if (!fresh.length) return
      known = fresh[fresh.length - 1]!.seq
      setEvents((current) => current.concat(fresh))
    }
    setEvents([])
    const stop = api.onEvent((event) => {
      if (event.kind !== 'task' || event.event.taskId !== id) return
      if (loaded) take([event.event])
      else buffer.push(event.event)
    })
    void api['tasks.events']({ id }).then((result) => {
      if (cancelled) return
      loaded = true
      take(result.ok ? result.value : [])
      take(buffer)
      buffer = []
    })
    return () => {
      cancelled = true
      stop()
    }
  }, [id])
  return events
}
