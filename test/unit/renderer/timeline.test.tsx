// @vitest-environment happy-dom
import { fake, ok, stubLayout, taskEvents, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { TaskEventBody } from '../../../src/shared/events'
import type { NetworkBlock } from '../../../src/shared/network'
import type { TaskRecord } from '../../../src/shared/task'
import { TaskActionsContext } from '../../../src/renderer/src/features/task/task-actions'
import { Timeline } from '../../../src/renderer/src/features/task/timeline'
import { TimelineBuilder, type TimelineItem } from '../../../src/renderer/src/features/task/timeline-model'

beforeAll(() => stubLayout())
afterEach(cleanup)

const fold = (bodies: TaskEventBody[]): TimelineItem[] => {
  const b = new TimelineBuilder()
  b.push(taskEvents('t1', bodies))
  return b.items
}

const longOutput = Array.from({ length: 100 }, (_, i) => `line ${i + 1} of the test output`).join('\n')

const everyKind: TaskEventBody[] = [
  { type: 'status', status: 'preparing' },
  { type: 'progress', phase: 'clone', message: 'Cloning acme/shop', ratio: 0.2 },
  { type: 'progress', phase: 'clone', message: 'Cloning acme/shop', ratio: 0.9 },
  { type: 'log', stream: 'setup', text: 'npm ci\n' },
  { type: 'log', stream: 'setup', text: 'added 312 packages\n' },
  { type: 'status', status: 'running' },
  { type: 'usage', step: 1, promptTokens: 1200, completionTokens: 80, costUsd: 0.0021 },
  { type: 'model_text', step: 1, text: 'I will look at the signup form first.' },
  { type: 'tool_call', step: 1, callId: 'c1', name: 'shell', args: { command: 'npm test -- signup' } },
  {
    type: 'tool_result',
    step: 1,
    callId: 'c1',
    name: 'shell',
    ok: true,
    output: 'Exit code: 0\n3 passed',
    durationMs: 840,
  },
  {
    type: 'tool_call',
    step: 2,
    callId: 'c2',
    name: 'edit_file',
    args: { path: 'src/signup.ts', old_string: 'return true', new_string: 'return email.length > 0' },
  },
  {
    type: 'tool_result',
    step: 2,
    callId: 'c2',
    name: 'edit_file',
    ok: true,
    output: 'Edited',
    durationMs: 90,
  },
  { type: 'tool_call', step: 3, callId: 'c3', name: 'read_file', args: { path: 'missing.ts' } },
  {
    type: 'tool_result',
    step: 3,
    callId: 'c3',
    name: 'read_file',
    ok: false,
    output: 'No such file: missing.ts',
    durationMs: 70,
  },
  { type: 'retry', step: 4, attempt: 2, delayMs: 2000, reason: 'HTTP 429 rate limited' },
  { type: 'tool_call', step: 4, callId: 'c4', name: 'shell', args: { command: 'npm run build' } },
  {
    type: 'tool_result',
    step: 4,
    callId: 'c4',
    name: 'shell',
    ok: true,
    output: longOutput,
    durationMs: 5100,
  },
  { type: 'diff', diff: { files: 2, additions: 14, deletions: 3 } },
  {
    type: 'error',
    error: {
      kind: 'budget_exceeded',
      message: 'The step limit (4) was reached.',
      hint: 'Raise maxSteps and run again.',
    },
  },
]

describe('TimelineBuilder', () => {
  test('pairs each tool call with its result, groups log chunks and notes each progress phase once', () => {
    const items = fold(everyKind)
    expect(items.map((i) => i.kind)).toEqual([
      'status',
      'phase',
      'log',
      'status',
      'usage',
      'message',
      'tool',
      'tool',
      'tool',
      'retry',
      'tool',
      'diff',
      'error',
    ])
    const shell = items[6]!
    expect(shell.kind === 'tool' && shell.result).toMatchObject({ ok: true, durationMs: 840 })
    const log = items[2]!
    expect(log.kind === 'log' && log.text).toBe('npm ci\nadded 312 packages\n')
  })

  test('folds only what it has not seen, and keeps the latest progress until the next turn', () => {
    const b = new TimelineBuilder()
    const events = taskEvents('t1', everyKind.slice(0, 3))
    b.push(events)
    expect(b.progress).toEqual({ phase: 'clone', message: 'Cloning acme/shop', ratio: 0.9 })
    const more = events.concat(
      taskEvents('t1', [{ type: 'status', status: 'queued', message: 'Follow-up' }], 3),
    )
    expect(b.continues(more)).toBe(true)
    b.push(more)
    expect(b.items).toHaveLength(3)
    expect(b.progress).toBeUndefined()
    expect(b.continues(taskEvents('t2', everyKind.slice(0, 1), 50))).toBe(false)
  })
})

describe('turn diffs', () => {
  test('a diff row keeps its turn and links to that turn’s own changes on the task page', () => {
    const items = fold([
      { type: 'diff', diff: { files: 1, additions: 2, deletions: 0 }, turn: 1 },
      { type: 'diff', diff: { files: 1, additions: 2, deletions: 0 }, turn: 2 },
      { type: 'diff', diff: { files: 1, additions: 2, deletions: 0 } },
    ])
    expect(items.map((i) => i.kind === 'diff' && i.turn)).toEqual([1, 2, undefined])
    const task = taskRecord({
      id: 'tl1',
      turnSnapshots: [{ turn: 2, start: 'a', end: 'a', files: 0, additions: 0, deletions: 0 }],
    })
    render(
      <TaskActionsContext.Provider value={{ task, onError: () => {} }}>
        <Timeline items={items} />
      </TaskActionsContext.Provider>,
    )
    const links = screen.getAllByRole('link')
    expect(links.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ["Turn 1's changes", '#/task/tl1/review/turn/1'],
    ])
    expect(screen.getByText(/No changes in this turn/)).toBeTruthy()
  })
})

describe('Timeline', () => {
  test('says "Follow-up queued" once per follow-up, and what the follow-up turn is doing next', () => {
    render(
      <Timeline
        items={fold([
          { type: 'status', status: 'queued', message: 'Follow-up' },
          { type: 'status', status: 'preparing', message: 'Follow-up' },
        ])}
      />,
    )
    expect(screen.getAllByText('Follow-up queued')).toHaveLength(1)
    expect(screen.getByText(/— Follow-up/)).toBeTruthy()
  })

  test('renders every kind of event', () => {
    render(<Timeline items={fold(everyKind)} />)
    expect(screen.getByText('I will look at the signup form first.')).toBeTruthy()
    // A shell call reads as a command line, with its result.
    expect(screen.getByText('npm test -- signup')).toBeTruthy()
    expect(screen.getByText(/3 passed/)).toBeTruthy()
    // An edit shows before and after.
    expect(screen.getByText('− return true')).toBeTruthy()
    expect(screen.getByText('+ return email.length > 0')).toBeTruthy()
    // A failed call says so, with its output.
    expect(screen.getByText('✗ failed')).toBeTruthy()
    expect(screen.getByText('No such file: missing.ts')).toBeTruthy()
    expect(screen.getByText(/Step 1/)).toBeTruthy()
    expect(screen.getByText(/1\.2k in · 80 out/)).toBeTruthy()
    expect(screen.getByText(/HTTP 429 rate limited/)).toBeTruthy()
    expect(screen.getByText(/Setup log · 2 lines/)).toBeTruthy()
    expect(screen.getByText(/Cloning the repository/)).toBeTruthy()
    expect(screen.getByText('Running')).toBeTruthy()
    expect(screen.getByText(/Changes: 2 files/)).toBeTruthy()
    // An error shows what failed and what to do.
    expect(screen.getByText('The step limit (4) was reached.')).toBeTruthy()
    expect(screen.getByText('Raise maxSteps and run again.')).toBeTruthy()
  })

  test('collapses long output until asked', () => {
    render(<Timeline items={fold(everyKind)} />)
    const toggle = screen.getByRole('button', { name: 'Show all 100 lines' })
    expect(screen.queryByText(/line 50 of the test output/)).toBeNull()
    expect(screen.getByText(/line 1 of the test output/)).toBeTruthy()
    fireEvent.click(toggle)
    expect(screen.getByText(/line 50 of the test output/)).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Show less' }))
    expect(screen.queryByText(/line 50 of the test output/)).toBeNull()
  })

  test('renders only a window of 20,000 events, follows the latest, and offers a jump back after scrolling up', () => {
    const bodies: TaskEventBody[] = Array.from({ length: 20_000 }, (_, i) => ({
      type: 'model_text',
      step: i,
      text: `message number ${i}`,
    }))
    const started = performance.now()
    const { container } = render(<Timeline items={fold(bodies)} />)
    const scroller = container.querySelector('.timeline') as HTMLElement
    // The timeline scrolled itself to the end; a browser then fires 'scroll' (happy-dom does not).
    expect(scroller.scrollTop).toBeGreaterThan(20_000 * 30)
    act(() => void fireEvent.scroll(scroller))
    const rows = container.querySelectorAll('.timeline-row')
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.length).toBeLessThan(60)
    // Following the stream: the newest message is what is on screen.
    expect(screen.getByText('message number 19999')).toBeTruthy()
    expect(screen.queryByText('message number 0')).toBeNull()
    expect(performance.now() - started).toBeLessThan(10_000)

    act(() => {
      scroller.scrollTop = 0
      fireEvent.scroll(scroller)
    })
    const jump = screen.getByRole('button', { name: /Jump to latest/ })
    expect(screen.getByText('message number 0')).toBeTruthy()
    act(() => fireEvent.click(jump))
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull()
    void fake
  })
})

const ALLOWLIST = "not in this task's allowlist"
const blocked = (patch: Partial<NetworkBlock> = {}): TaskEventBody => ({
  type: 'network_blocked',
  phase: 'agent',
  host: 'registry.example.org',
  port: 443,
  method: 'CONNECT',
  rule: ALLOWLIST,
  ...patch,
})

describe('blocked requests', () => {
  test('repeats of one block count on its row until the status changes', () => {
    const items = fold([
      { type: 'status', status: 'running' },
      blocked(),
      { type: 'tool_call', step: 1, callId: 'c1', name: 'shell', args: { command: 'npm i left-pad' } },
      blocked(),
      blocked({ port: 8443 }),
      blocked({ phase: 'setup' }),
      // A repeat the proxy already counted.
      { ...blocked(), count: 4 } as unknown as TaskEventBody,
      { type: 'status', status: 'review' },
      blocked(),
    ])
    expect(items.map((i) => i.kind)).toEqual([
      'status',
      'blocked',
      'tool',
      'blocked',
      'blocked',
      'status',
      'blocked',
    ])
    expect(items[1]).toMatchObject({ host: 'registry.example.org', port: 443, phase: 'agent', count: 6 })
    expect(items[3]).toMatchObject({ port: 8443, count: 1 })
    expect(items[4]).toMatchObject({ phase: 'setup', count: 1 })
    expect(items[6]).toMatchObject({ count: 1 })
  })

  function renderBlocks(task: TaskRecord, bodies: TaskEventBody[]): void {
    render(
      <TaskActionsContext.Provider value={{ task, onError: () => undefined }}>
        <Timeline items={fold(bodies)} />
      </TaskActionsContext.Provider>,
    )
  }

  test('shows the block with its phase, and allows the host for the running task', async () => {
    fake.handlers['tasks.allowHost'] = ({ id, host }) =>
      ok(taskRecord({ id, status: 'running', allowedHosts: [host] }))
    renderBlocks(taskRecord({ id: 'b1' }), [blocked(), blocked()])
    expect(screen.getByText("Blocked: registry.example.org:443 — not in this task's allowlist")).toBeTruthy()
    expect(screen.getByText(/· agent · CONNECT · 2 times/)).toBeTruthy()
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Allow for this task and retry' })),
    )
    expect(fake.callsOf('tasks.allowHost')).toEqual([{ id: 'b1', host: 'registry.example.org' }])
    await waitFor(() => expect(screen.getByText('Allowed for this task')).toBeTruthy())
    expect(screen.queryByRole('button', { name: 'Allow for this task and retry' })).toBeNull()
  })

  test('names the port when it is not 80 or 443; already allowed hosts say so', async () => {
    fake.calls.length = 0
    renderBlocks(taskRecord({ id: 'b2', status: 'setting_up', allowedHosts: ['deb.example.org'] }), [
      blocked({
        phase: 'setup',
        host: 'npm.example.org',
        port: 8443,
        rule: 'port 8443 is not allowed for npm.example.org (80, 443)',
      }),
      blocked({ phase: 'setup', host: 'deb.example.org', port: 80, method: 'GET' }),
    ])
    expect(screen.getByText(/· setup · GET/)).toBeTruthy()
    expect(screen.getByText('Allowed for this task')).toBeTruthy()
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Allow for this task and retry' })),
    )
    expect(fake.callsOf('tasks.allowHost')).toEqual([{ id: 'b2', host: 'npm.example.org:8443' }])
  })

  test('the button is disabled once the task stopped, and absent where allowing cannot help', () => {
    renderBlocks(taskRecord({ status: 'review' }), [
      blocked(),
      blocked({ host: 'metadata.example.org', rule: 'resolves to a link-local address (169.254.169.254)' }),
      blocked({ host: '10.0.0.5', rule: 'an address, not a name' }),
      blocked({ host: 'pypi.org', rule: 'read-only: POST is not allowed', method: 'POST' }),
    ])
    const buttons = screen.getAllByRole('button', { name: 'Allow for this task and retry' })
    expect(buttons).toHaveLength(1)
    expect((buttons[0] as HTMLButtonElement).disabled).toBe(true)
    expect(
      screen.getByText(
        'Blocked: metadata.example.org:443 — resolves to a link-local address (169.254.169.254)',
      ),
    ).toBeTruthy()
  })
})
