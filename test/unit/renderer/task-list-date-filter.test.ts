import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  dateWindow,
  describeDateFilter,
  inWindow,
  parseLocalDay,
  type DateFilter,
  type DateWindow,
} from '../../../src/renderer/src/features/task-list/date-filter'
import { activeFilters, filterTasks } from '../../../src/renderer/src/features/task-list/filter'
import type { TaskRecord } from '../../../src/shared/task'
import { makeTask } from './app-fake-api'

// Days are the user's local days: every case fixes the zone (Node rereads TZ when it is assigned).
beforeEach(() => {
  vi.stubEnv('TZ', 'Europe/Berlin')
})
afterAll(() => {
  vi.unstubAllEnvs()
})

/** Tasks created at these instants (ISO with the zone's offset, so the test does not lean on the code's maths). */
const at = (...times: string[]): TaskRecord[] =>
  times.map((createdAt, i) => makeTask(i, { createdAt, title: createdAt }))

function shown(filter: DateFilter, now: string, tasks: TaskRecord[]): string[] {
  const result = dateWindow(filter, Date.parse(now))
  if (!result.ok) throw new Error(result.error)
  return tasks.filter((t) => inWindow(t, result.window)).map((t) => t.createdAt)
}

function window(filter: DateFilter, now: string): DateWindow {
  const result = dateWindow(filter, Date.parse(now))
  if (!result.ok || !result.window) throw new Error('no window')
  return result.window
}

const HOUR = 3600_000
const today: DateFilter = { kind: 'today' }
const week: DateFilter = { kind: 'week' }
const range = (from: string, to: string): DateFilter => ({ kind: 'range', from, to })

describe('date filter: today', () => {
  it('holds the local calendar day, 00:00 to 23:59, and not a minute on either side', () => {
    const tasks = at(
      '2025-06-14T23:59:00+02:00',
      '2025-06-15T00:01:00+02:00',
      '2025-06-15T23:59:00+02:00',
      '2025-06-16T00:01:00+02:00',
    )
    expect(shown(today, '2025-06-15T12:00:00+02:00', tasks)).toEqual([
      '2025-06-15T00:01:00+02:00',
      '2025-06-15T23:59:00+02:00',
    ])
    // Just after midnight, "today" is already the next day.
    expect(shown(today, '2025-06-16T00:00:30+02:00', tasks)).toEqual(['2025-06-16T00:01:00+02:00'])
  })

  it('ends at the next midnight on the 23-hour day clocks go forward', () => {
    const tasks = at(
      '2025-03-29T23:59:00+01:00',
      '2025-03-30T00:01:00+01:00',
      '2025-03-30T23:59:00+02:00',
      '2025-03-31T00:01:00+02:00',
      '2025-03-31T00:30:00+02:00',
    )
    expect(shown(today, '2025-03-30T12:00:00+02:00', tasks)).toEqual([
      '2025-03-30T00:01:00+01:00',
      '2025-03-30T23:59:00+02:00',
    ])
    const w = window(today, '2025-03-30T12:00:00+02:00')
    expect(w.end - w.start).toBe(23 * HOUR)
  })

  it('ends at the next midnight on the 25-hour day clocks go back', () => {
    const tasks = at('2025-10-25T23:59:00+02:00', '2025-10-26T23:59:00+01:00', '2025-10-27T00:01:00+01:00')
    expect(shown(today, '2025-10-26T12:00:00+01:00', tasks)).toEqual(['2025-10-26T23:59:00+01:00'])
    const w = window(today, '2025-10-26T12:00:00+01:00')
    expect(w.end - w.start).toBe(25 * HOUR)
  })

  it('starts at the first instant of a day whose midnight does not exist (Chile, 2025-09-07)', () => {
    vi.stubEnv('TZ', 'America/Santiago')
    const tasks = at('2025-09-06T23:59:00-04:00', '2025-09-07T01:00:00-03:00', '2025-09-07T23:59:00-03:00')
    expect(shown(today, '2025-09-07T12:00:00-03:00', tasks)).toEqual([
      '2025-09-07T01:00:00-03:00',
      '2025-09-07T23:59:00-03:00',
    ])
  })

  it('follows the zone: the same instant is today in UTC and tomorrow in Kolkata', () => {
    const tasks = at('2025-06-15T23:30:00Z')
    vi.stubEnv('TZ', 'UTC')
    expect(shown(today, '2025-06-15T12:00:00Z', tasks)).toHaveLength(1)
    vi.stubEnv('TZ', 'Asia/Kolkata')
    expect(shown(today, '2025-06-15T12:00:00Z', tasks)).toHaveLength(0)
    expect(shown(today, '2025-06-16T01:00:00Z', tasks)).toHaveLength(1)
  })
})

describe('date filter: last 7 days', () => {
  it('is today and the six local days before it, across a DST change', () => {
    const tasks = at(
      '2025-03-24T23:59:00+01:00',
      '2025-03-25T00:01:00+01:00',
      '2025-03-31T09:00:00+02:00',
      '2025-03-31T23:59:00+02:00',
      '2025-04-01T00:01:00+02:00',
    )
    expect(shown(week, '2025-03-31T10:00:00+02:00', tasks)).toEqual([
      '2025-03-25T00:01:00+01:00',
      '2025-03-31T09:00:00+02:00',
      '2025-03-31T23:59:00+02:00',
    ])
  })
})

describe('date filter: custom range', () => {
  const tasks = at(
    '2025-03-28T23:59:00+01:00',
    '2025-03-29T00:01:00+01:00',
    '2025-03-30T23:59:00+02:00',
    '2025-03-31T00:01:00+02:00',
  )
  const now = '2025-06-01T12:00:00+02:00'

  it('holds both end days whole', () => {
    expect(shown(range('2025-03-29', '2025-03-30'), now, tasks)).toEqual([
      '2025-03-29T00:01:00+01:00',
      '2025-03-30T23:59:00+02:00',
    ])
    expect(shown(range('2025-03-30', '2025-03-30'), now, tasks)).toEqual(['2025-03-30T23:59:00+02:00'])
  })

  it('leaves an end open when its day is empty, and selects everything with neither', () => {
    expect(shown(range('2025-03-30', ''), now, tasks)).toEqual([
      '2025-03-30T23:59:00+02:00',
      '2025-03-31T00:01:00+02:00',
    ])
    expect(shown(range('', '2025-03-28'), now, tasks)).toEqual(['2025-03-28T23:59:00+01:00'])
    expect(dateWindow(range('', ''), Date.parse(now))).toEqual({ ok: true })
  })

  it('says why an invalid or inverted range is unusable', () => {
    const error = (f: DateFilter): string | undefined => {
      const result = dateWindow(f, Date.parse(now))
      return result.ok ? undefined : result.error
    }
    expect(error(range('2025-03-31', '2025-03-29'))).toBe('The start date is after the end date.')
    expect(error(range('2025-02-30', ''))).toBe('The start date is not a valid date.')
    expect(error(range('', '2025-13-01'))).toBe('The end date is not a valid date.')
    expect(error(range('yesterday', '2025-03-01'))).toBe('The start date is not a valid date.')
  })

  it('reads YYYY-MM-DD as a local day, years below 100 included', () => {
    expect(parseLocalDay('2025-03-30')).toBe(Date.parse('2025-03-30T00:00:00+01:00'))
    expect(new Date(parseLocalDay('0050-01-01')!).getFullYear()).toBe(50)
    expect(parseLocalDay('2024-02-29')).toBeDefined()
    expect(parseLocalDay('2025-02-29')).toBeUndefined()
    expect(parseLocalDay('2025-3-30')).toBeUndefined()
  })
})

describe('date filter with the others', () => {
  it('combines with status and text (AND), and never keeps a task whose time is unreadable', () => {
    const tasks = [
      makeTask(1, { createdAt: '2025-06-15T09:00:00+02:00', status: 'review', prompt: 'fix zebra' }),
      makeTask(2, { createdAt: '2025-06-15T10:00:00+02:00', status: 'failed', prompt: 'fix zebra' }),
      makeTask(3, { createdAt: '2025-06-14T10:00:00+02:00', status: 'review', prompt: 'fix zebra' }),
      makeTask(4, { createdAt: '2025-06-15T11:00:00+02:00', status: 'review', prompt: 'fix lion' }),
      makeTask(5, { createdAt: 'not a date', status: 'review', prompt: 'fix zebra' }),
    ]
    const w = window(today, '2025-06-15T12:00:00+02:00')
    expect(filterTasks(tasks, 'review', 'zebra', w).map((t) => t.id)).toEqual(['task-1'])
    expect(filterTasks(tasks, 'all', '', w).map((t) => t.id)).toEqual(['task-1', 'task-2', 'task-4'])
    expect(filterTasks(tasks, 'review', 'zebra').map((t) => t.id)).toEqual(['task-1', 'task-3', 'task-5'])
  })

  it('names the filters in effect, leaving out an unusable range', () => {
    const w = window(today, '2025-06-15T12:00:00+02:00')
    expect(activeFilters('review', ' zebra ', today, w)).toEqual([
      'status Review',
      'search “zebra”',
      'created today',
    ])
    expect(activeFilters('all', '  ', week, window(week, '2025-06-15T12:00:00+02:00'))).toEqual([
      'created in the last 7 days',
    ])
    expect(activeFilters('all', '', range('2025-03-31', '2025-03-29'), undefined)).toEqual([])
    expect(describeDateFilter(range('2025-03-29', ''))).toMatch(/^since .*2025/)
    expect(describeDateFilter(range('', '2025-03-29'))).toMatch(/^until .*2025/)
  })
})
