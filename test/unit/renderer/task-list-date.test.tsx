// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { TaskList } from '../../../src/renderer/src/features/task-list/task-list'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'
import type { TaskRecord, TaskStatus } from '../../../src/shared/task'
import { makeTask, ok } from './app-fake-api'

// A fixed zone and clock: Monday 31 March 2025, 10:00 in Berlin, the day after clocks went forward.
vi.stubEnv('TZ', 'Europe/Berlin')
const NOW = '2025-03-31T10:00:00+02:00'

/** A task created at a Berlin wall-clock time, stored as the engine stores it (UTC ISO). */
const task = (name: string, local: string, status: TaskStatus): TaskRecord =>
  makeTask(0, {
    id: name,
    title: name,
    prompt: `Do ${name}`,
    status,
    createdAt: new Date(local).toISOString(),
  })

const tasks = [
  task('alpha', '2025-03-31T09:00:00+02:00', 'review'),
  task('beta', '2025-03-31T00:01:00+02:00', 'failed'),
  task('gamma', '2025-03-30T23:59:00+02:00', 'review'),
  task('delta', '2025-03-25T00:01:00+01:00', 'review'),
  task('epsilon', '2025-03-24T23:59:00+01:00', 'failed'),
  task('zeta', '2025-01-10T12:00:00+01:00', 'review'),
]

beforeAll(async () => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 })
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 300 })
  fake.handlers['tasks.list'] = () => ok(tasks)
  await taskListStore().reload()
})

beforeEach(() => {
  // Date and the shared clock's interval only: React and testing-library keep real timeouts.
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
  vi.setSystemTime(new Date(NOW))
})

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

afterAll(() => {
  vi.unstubAllEnvs()
})

const shown = (): string[] =>
  within(screen.getByRole('listbox', { name: 'Tasks' }))
    .queryAllByRole('option')
    .map((row) => row.id.replace('task-option-', ''))
const dateGroup = (): HTMLElement => screen.getByRole('group', { name: 'Filter by date' })
const chip = (label: string): HTMLElement => within(dateGroup()).getByRole('button', { name: label })
const picked = (): string[] =>
  within(dateGroup())
    .getAllByRole('button')
    .filter((b) => b.getAttribute('aria-pressed') === 'true')
    .map((b) => b.textContent ?? '')
const LABELS: Record<string, string> = {
  any: 'Any time',
  today: 'Today',
  week: 'Last 7 days',
  range: 'Range',
}
const pick = (kind: string): void => void fireEvent.click(chip(LABELS[kind]!))
const day = (name: 'From' | 'To', value: string): void =>
  void fireEvent.change(screen.getByLabelText(name), { target: { value } })

describe('TaskList date filter', () => {
  it('shows every task at any time, and the right ones for today, the last 7 days and a range', () => {
    render(<TaskList />)
    expect(picked()).toEqual(['Any time'])
    expect(shown()).toEqual(['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'])

    pick('today')
    expect(shown()).toEqual(['alpha', 'beta'])

    pick('week')
    expect(shown()).toEqual(['alpha', 'beta', 'gamma', 'delta'])

    pick('range')
    expect(shown()).toHaveLength(6)
    day('From', '2025-03-24')
    day('To', '2025-03-30')
    expect(shown()).toEqual(['gamma', 'delta', 'epsilon'])
    day('To', '')
    expect(shown()).toEqual(['alpha', 'beta', 'gamma', 'delta', 'epsilon'])
    day('From', '')
    day('To', '2025-01-10')
    expect(shown()).toEqual(['zeta'])

    pick('any')
    expect(screen.queryByLabelText('From')).toBeNull()
    expect(shown()).toHaveLength(6)
  })

  it('says when a range is inverted or invalid, and then filters nothing by date', () => {
    render(<TaskList />)
    pick('range')
    day('From', '2025-03-31')
    day('To', '2025-03-24')
    expect(screen.getByRole('alert').textContent).toBe(
      'The start date is after the end date. Showing tasks from any day.',
    )
    expect(screen.getByLabelText('From').getAttribute('aria-invalid')).toBe('true')
    expect(shown()).toHaveLength(6)
    // A half-typed day: the browser reports '' and validity.badInput.
    const to = screen.getByLabelText('To')
    Object.defineProperty(to, 'validity', { configurable: true, value: { badInput: true } })
    day('To', '')
    expect(screen.getByRole('alert').textContent).toContain('The end date is not a valid date.')
    expect(shown()).toHaveLength(6)
    Object.defineProperty(to, 'validity', { configurable: true, value: { badInput: false } })
    day('To', '2025-03-31')
    expect(screen.queryByRole('alert')).toBeNull()
    expect(shown()).toEqual(['alpha', 'beta'])
  })

  it('combines with the status chips and the search', async () => {
    render(<TaskList />)
    pick('week')
    fireEvent.click(screen.getByRole('button', { name: /^Review/ }))
    expect(shown()).toEqual(['alpha', 'gamma', 'delta'])
    const search = screen.getByRole('searchbox', { name: 'Search tasks' })
    await act(async () => fireEvent.change(search, { target: { value: 'delta' } }))
    expect(shown()).toEqual(['delta'])
    pick('today')
    expect(shown()).toEqual([])
  })

  it('says which filters hide every task and clears them in one click', async () => {
    render(<TaskList />)
    pick('today')
    fireEvent.click(screen.getByRole('button', { name: /^Review/ }))
    const search = screen.getByRole('searchbox', { name: 'Search tasks' })
    await act(async () => fireEvent.change(search, { target: { value: 'gamma' } }))
    expect(shown()).toEqual([])
    expect(screen.getByText('No matching tasks')).toBeTruthy()
    expect(
      screen.getByText('All 6 tasks are hidden by status Review, search “gamma”, created today.'),
    ).toBeTruthy()

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Clear filters' })))
    expect(shown()).toHaveLength(6)
    expect(picked()).toEqual(['Any time'])
    expect((search as HTMLInputElement).value).toBe('')
    expect(screen.getByRole('button', { name: 'All' }).getAttribute('aria-pressed')).toBe('true')
    expect(document.activeElement).toBe(screen.getByRole('listbox', { name: 'Tasks' }))
  })

  it('is in the tab order between the status chips and the list', () => {
    render(<TaskList />)
    pick('range')
    const order = [
      screen.getByRole('button', { name: /^Cancelled/ }),
      chip('Any time'),
      chip('Range'),
      screen.getByLabelText('From'),
      screen.getByLabelText('To'),
      screen.getByRole('listbox', { name: 'Tasks' }),
    ]
    for (const [i, el] of order.entries()) {
      expect(el.tabIndex).toBeGreaterThanOrEqual(0)
      if (i) expect(order[i - 1]!.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
    }
  })

  it('keeps its choice across re-renders and moves "today" on at local midnight', async () => {
    vi.setSystemTime(new Date('2025-03-31T23:59:30+02:00'))
    const { rerender } = render(<TaskList />)
    pick('today')
    rerender(<TaskList selectedId="alpha" />)
    expect(picked()).toEqual(['Today'])
    expect(shown()).toEqual(['alpha', 'beta'])
    // The shared clock ticks every 30 s: a minute later it is Tuesday, and nothing was created today.
    await act(async () => vi.advanceTimersByTime(60_000))
    expect(shown()).toEqual([])
    expect(screen.getByText('All 6 tasks are hidden by created today.')).toBeTruthy()
  })
})
