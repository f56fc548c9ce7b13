import { readdir, rm, stat } from 'node:fs/promises'
import { discardUpload } from './uploads'
import { dirname, join, resolve } from 'node:path'
import type { TaskRecord } from '../../shared/task'
import type { TaskEngine } from '../engine/task-engine'

/** Statuses in which a task may still read its ZIP (it is imported while preparing). */
const NEEDS_SOURCE: ReadonlyArray<TaskRecord['status']> = ['queued', 'preparing']
/** Uploads no task ever named are removed after this long. */
const ORPHAN_AGE_MS = 24 * 3600_000

/**
 * Uploaded ZIPs (each in a folder of its own) are the server's own temporary files: each is removed once the tasks that name it have
 * imported it (or ended), and uploads that no task named are removed after a day.
 */
export function watchUploads(engine: TaskEngine, uploadDir: string): () => void {
  const root = resolve(uploadDir)
  const uploadOf = (task: TaskRecord): string | undefined =>
    task.source.kind === 'zip' && dirname(dirname(resolve(task.source.path))) === root
      ? resolve(task.source.path)
      : undefined
  const stillNeeded = (path: string): boolean =>
    engine.list().some((t) => NEEDS_SOURCE.includes(t.status) && uploadOf(t) === path)
  const sweep = (task: TaskRecord): void => {
    const path = uploadOf(task)
    if (path && !NEEDS_SOURCE.includes(task.status) && !stillNeeded(path)) {
      void discardUpload(path)
    }
  }
  for (const task of engine.list()) sweep(task)
  const named = (dir: string): boolean =>
    engine.list().some((t) => {
      const path = uploadOf(t)
      return path !== undefined && dirname(path) === dir
    })
  void removeOrphans(root, named)
  return engine.subscribeRecords(sweep)
}

async function removeOrphans(root: string, named: (path: string) => boolean): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[])
  for (const name of names) {
    const path = join(root, name)
    const info = await stat(path).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > ORPHAN_AGE_MS && !named(path)) {
      await rm(path, { recursive: true, force: true }).catch(() => undefined)
    }
  }
}
