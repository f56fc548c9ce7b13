import type { TaskRecord } from '../../../../shared/task'

/**
 * When a task was created: at whatever time, today, the last 7 days (today and the 6 before), or a range of
 * days `from`–`to` (YYYY-MM-DD as an `<input type="date">` gives them, both inclusive, either may be
 * empty for an open end). Days are the user's local calendar days.
 */
export type DateFilter =
  { kind: 'any' } | { kind: 'today' } | { kind: 'week' } | { kind: 'range'; from: string; to: string }

export type DateFilterKind = DateFilter['kind']

export const DATE_FILTERS: { kind: DateFilterKind; label: string }[] = [
  { kind: 'any', label: 'Any time' },
  { kind: 'today', label: 'Today' },
  { kind: 'week', label: 'Last 7 days' },
  { kind: 'range', label: 'Range' },
]

export const ANY_TIME: DateFilter = { kind: 'any' }

/** Half-open [start, end) in epoch ms; an absent end is open. */
export interface DateWindow {
  start: number
  end: number
}

/** What a date filter selects at `now`: a window, none (no constraint), or why the range is unusable. */
export type DateWindowResult = { ok: true; window?: DateWindow } | { ok: false; error: string }

/**
 * Local midnight starting the calendar day `offset` days after the one holding `at`. Built from the
 * calendar (not by adding 24 h), so days that DST makes 23 or 25 hours long end where they should; where
 * midnight itself is skipped, the day starts at its first instant.
 */
export function startOfLocalDay(at: number, offset = 0): number {
  const day = new Date(at)
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() + offset).getTime()
}

/** Local midnight starting a YYYY-MM-DD day, or undefined when it is not a real date. */
export function parseLocalDay(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!match) return undefined
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(2000, 0, 1)
  // setFullYear: new Date(y, …) would read years 0-99 as 1900-1999.
  date.setFullYear(year, month - 1, day)
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return undefined
  return date.getTime()
}

const nextDay = (start: number): number => startOfLocalDay(start, 1)

export function dateWindow(filter: DateFilter, now: number): DateWindowResult {
  switch (filter.kind) {
    case 'any':
      return { ok: true }
    case 'today':
      return { ok: true, window: { start: startOfLocalDay(now), end: startOfLocalDay(now, 1) } }
    case 'week':
      return { ok: true, window: { start: startOfLocalDay(now, -6), end: startOfLocalDay(now, 1) } }
    case 'range': {
      const from = filter.from ? parseLocalDay(filter.from) : -Infinity
      const to = filter.to ? parseLocalDay(filter.to) : -Infinity
      if (from === undefined) return { ok: false, error: 'The start date is not a valid date.' }
      if (to === undefined) return { ok: false, error: 'The end date is not a valid date.' }
      if (!filter.from && !filter.to) return { ok: true }
      if (filter.from && filter.to && from > to)
        return { ok: false, error: 'The start date is after the end date.' }
      return { ok: true, window: { start: from, end: filter.to ? nextDay(to) : Infinity } }
    }
  }
}

const createdTimes = new WeakMap<TaskRecord, number>()
function createdAt(task: TaskRecord): number {
  let at = createdTimes.get(task)
  if (at === undefined) {
    at = Date.parse(task.createdAt)
    createdTimes.set(task, at)
  }
  return at
}

/** True when the task was created inside the window (no window: every task); an unreadable time never is. */
export function inWindow(task: TaskRecord, window: DateWindow | undefined): boolean {
  if (!window) return true
  const at = createdAt(task)
  return at >= window.start && at < window.end
}

/** A short phrase for the filter ("today", "Mar 3 – Mar 9"), for saying what hides tasks. */
export function describeDateFilter(filter: DateFilter): string {
  switch (filter.kind) {
    case 'any':
      return 'any time'
    case 'today':
      return 'today'
    case 'week':
      return 'in the last 7 days'
    case 'range': {
      const day = (text: string): string => {
        const at = parseLocalDay(text)
        return at === undefined
          ? text
          : new Date(at).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
      }
      if (filter.from && filter.to)
        return filter.from === filter.to ? day(filter.from) : `${day(filter.from)} – ${day(filter.to)}`
      if (filter.from) return `since ${day(filter.from)}`
      return `until ${day(filter.to)}`
    }
  }
}
