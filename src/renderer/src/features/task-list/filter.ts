import type { TaskRecord, TaskStatus } from '../../../../shared/task'
import { sourceLabel, sourceText } from '../../lib/format'
import { describeDateFilter, inWindow, type DateFilter, type DateWindow } from './date-filter'

export type StatusFilter = 'all' | 'active' | 'review' | 'failed' | 'cancelled'

export const STATUS_FILTERS: { id: StatusFilter; label: string; statuses?: readonly TaskStatus[] }[] = [
  { id: 'all', label: 'All' },
  { id: 'active', label: 'Active', statuses: ['queued', 'preparing', 'setting_up', 'running'] },
  { id: 'review', label: 'Review', statuses: ['review'] },
  { id: 'failed', label: 'Failed', statuses: ['failed', 'interrupted'] },
  { id: 'cancelled', label: 'Cancelled', statuses: ['cancelled'] },
]

export function matchesStatus(task: TaskRecord, filter: StatusFilter): boolean {
  const statuses = STATUS_FILTERS.find((f) => f.id === filter)?.statuses
  return !statuses || statuses.includes(task.status)
}

/** Lower-cased text a search looks in: title, prompt, source (label, path or URL, branch). */
const haystacks = new WeakMap<TaskRecord, string>()
function haystack(task: TaskRecord): string {
  let text = haystacks.get(task)
  if (text === undefined) {
    text =
      `${task.title}\n${task.prompt}\n${sourceLabel(task.source)}\n${sourceText(task.source)}`.toLowerCase()
    haystacks.set(task, text)
  }
  return text
}

const termsOf = (query: string): string[] => query.toLowerCase().split(/\s+/).filter(Boolean)

/**
 * Tasks with the status, every word of the query (in whichever order, case-insensitive) and, given a window, created
 * inside it; order is kept.
 */
export function filterTasks(
  tasks: readonly TaskRecord[],
  filter: StatusFilter,
  query: string,
  window?: DateWindow,
): TaskRecord[] {
  const terms = termsOf(query)
  return tasks.filter(
    (task) =>
      matchesStatus(task, filter) &&
      inWindow(task, window) &&
      terms.every((term) => haystack(task).includes(term)),
  )
}

/**
 * The filters in effect, in words ("status Review", "search “zebra”", "created today"), for saying what
 * hides tasks. A date filter without a window (all times; an empty, invalid or inverted range) is not in effect.
 */
export function activeFilters(
  filter: StatusFilter,
  query: string,
  date: DateFilter,
  window: DateWindow | undefined,
): string[] {
  const active: string[] = []
  if (filter !== 'all') active.push(`status ${STATUS_FILTERS.find((f) => f.id === filter)?.label ?? filter}`)
  if (termsOf(query).length) active.push(`search “${query.trim()}”`)
  if (window) active.push(`created ${describeDateFilter(date)}`)
  return active
}

/** How many tasks each status filter holds (for the chips). */
export function countByFilter(tasks: readonly TaskRecord[]): Record<StatusFilter, number> {
  const counts: Record<StatusFilter, number> = { all: 0, active: 0, review: 0, failed: 0, cancelled: 0 }
  for (const task of tasks) {
    for (const f of STATUS_FILTERS) if (matchesStatus(task, f.id)) counts[f.id]++
  }
  return counts
}
