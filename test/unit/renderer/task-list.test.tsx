// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { TaskList } from '../../../src/renderer/src/features/task-list/task-list'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'
import type { TaskRecord } from '../../../src/shared/task'
import { makeTask, ok } from './app-fake-api'

const tasks: TaskRecord[] = Array.from({ length: 1000 }, (_, i) =>
  makeTask(i, i === 5 ? { prompt: 'Refactor the zebra module' } : {}),
)

beforeAll(async () => {
  // happy-dom has no layout: give the scrolling list a height so the virtualizer has a window.
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 })
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 300 })
  fake.handlers['tasks.list'] = () => ok(tasks)
  await taskListStore().reload()
})

afterEach(() => {
  cleanup()
  window.location.hash = ''
})

const rows = (): HTMLElement[] => screen.queryAllByRole('option')

describe('TaskList', () => {
  it('renders only a window of 1,000 tasks, newest first', () => {
    render(<TaskList />)
    const shown = rows()
    expect(shown.length).toBeGreaterThan(5)
    expect(shown.length).toBeLessThan(40)
    expect(shown[0]!.textContent).toContain('Task number 999')
    expect(shown[1]!.textContent).toContain('Task number 998')
    expect(screen.getByRole('button', { name: 'All' }).title).toBe('1000 tasks')
  })

  it('shows status, source and relative time on each row', () => {
    render(<TaskList />)
    const first = rows()[0]!
    // task-999: status queued (999 % 5 = 4), a folder source (999 % 3 = 0).
    expect(within(first).getByText('Queued')).toBeTruthy()
    expect(within(first).getByText('app-999')).toBeTruthy()
    expect(first.querySelector('time')!.textContent).toMatch(/ago|\d{4}|[A-Z][a-z]{2} \d+/)
  })

  it('filters by status', () => {
    render(<TaskList />)
    fireEvent.click(screen.getByRole('button', { name: /Review\s*200/ }))
    const shown = rows()
    expect(shown.length).toBeGreaterThan(5)
    for (const row of shown)
      expect(row.querySelector('[data-status]')!.getAttribute('data-status')).toBe('review')
    fireEvent.click(screen.getByRole('button', { name: /Failed\s*200/ }))
    for (const row of rows())
      expect(row.querySelector('[data-status]')!.getAttribute('data-status')).toBe('failed')
  })

  it('searches title, prompt and source', async () => {
    render(<TaskList />)
    const search = screen.getByRole('searchbox', { name: 'Search tasks' })
    await act(async () => fireEvent.change(search, { target: { value: 'app-42' } }))
    expect(rows().map((r) => r.id)).toEqual([429, 426, 423, 420, 42].map((i) => `task-option-task-${i}`))
    await act(async () => fireEvent.change(search, { target: { value: 'ACME repo-8 main' } }))
    // Git sources (i % 3 = 2) whose URL holds "repo-8": 8, 80-89, 800-899.
    expect(rows()[0]!.textContent).toContain('acme/repo-899')
    await act(async () => fireEvent.change(search, { target: { value: 'Zebra' } }))
    expect(rows().map((r) => r.id)).toEqual(['task-option-task-5'])
    await act(async () => fireEvent.change(search, { target: { value: 'no such words' } }))
    expect(rows()).toHaveLength(0)
    expect(screen.getByText('No matching tasks')).toBeTruthy()
    fireEvent.keyDown(search, { key: 'Escape' })
    expect((search as HTMLInputElement).value).toBe('')
  })

  it('moves the selection with the arrow keys and Alt+arrows', () => {
    const { rerender } = render(<TaskList />)
    const list = screen.getByRole('listbox', { name: 'Tasks' })
    fireEvent.keyDown(list, { key: 'ArrowDown' })
    expect(window.location.hash).toBe('#/task/task-999')
    rerender(<TaskList selectedId="task-999" />)
    expect(rows()[0]!.getAttribute('aria-selected')).toBe('true')
    expect(list.getAttribute('aria-activedescendant')).toBe('task-option-task-999')
    fireEvent.keyDown(list, { key: 'ArrowDown' })
    expect(window.location.hash).toBe('#/task/task-998')
    rerender(<TaskList selectedId="task-998" />)
    fireEvent.keyDown(document.body, { key: 'ArrowUp', altKey: true })
    expect(window.location.hash).toBe('#/task/task-999')
    fireEvent.keyDown(list, { key: 'End' })
    expect(window.location.hash).toBe('#/task/task-0')
  })

  it('keeps up with task updates from the engine', async () => {
    render(<TaskList />)
    await act(async () => {
      fake.emit({ kind: 'task-updated', task: { ...tasks[999]!, status: 'review', title: 'Renamed task' } })
    })
    const first = rows()[0]!
    expect(first.textContent).toContain('Renamed task')
    expect(within(first).getByText('Review')).toBeTruthy()
  })
})
