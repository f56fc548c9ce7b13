// @vitest-environment happy-dom
import { fake, ok, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { Result } from '../../../src/shared/errors'
import { defaultSettings, type Settings } from '../../../src/shared/settings'
import type { TaskOutcome, TaskRecord } from '../../../src/shared/task'
import { PublishPanel } from '../../../src/renderer/src/features/publish/publish-panel'
import { settingsStore } from '../../../src/renderer/src/lib/settings'

const settings: Settings = {
  ...defaultSettings(),
  git: { ...defaultSettings().git, branchPrefix: 'ai-test' },
}
const AT = '2025-06-01T12:00:00.000Z'
const PR: TaskOutcome = {
  kind: 'pull_request',
  at: AT,
  url: 'https://github.com/acme/shop/pull/7',
  number: 7,
  repo: 'acme/shop',
  branch: 'ai-test-20250601-120000',
  forked: false,
  draft: true,
}

beforeAll(async () => {
  fake.handlers = { 'settings.get': () => ok(settings) }
  await settingsStore().reload()
})
beforeEach(() => {
  fake.calls.length = 0
  fake.handlers = { 'settings.get': () => ok(settings) }
})
afterEach(cleanup)

const FILES = ['src/signup.ts', 'src/lib/email.ts']
function show(patch: Partial<TaskRecord>, desktop = true, files = FILES): TaskRecord {
  const task = taskRecord({
    status: 'review',
    summary: 'Validated the email and the password.',
    ...patch,
  })
  render(<PublishPanel task={task} files={files} totalFiles={3} desktop={desktop} />)
  return task
}
const input = (name: string): HTMLInputElement | HTMLTextAreaElement =>
  screen.getByLabelText(name) as HTMLInputElement

/** A handler that answers when the test says so (to see busy states and double clicks). */
function deferred<T>(): { promise: Promise<Result<T>>; resolve: (r: Result<T>) => void } {
  let resolve!: (r: Result<T>) => void
  const promise = new Promise<Result<T>>((r) => (resolve = r))
  return { promise, resolve }
}

test('git source on GitHub: the PR form is prefilled, submits once, and shows the opened PR', async () => {
  const task = show({ id: 'p1' })
  expect(screen.getByLabelText('Included files').textContent).toBe(
    '2 of 3 changed files included (excluded ones are left out).',
  )
  expect(input('Branch').value).toMatch(/^ai-test-\d{8}-\d{6}$/)
  expect(input('Title').value).toBe(task.title)
  const body = input('Description').value
  expect(body).toContain(task.prompt)
  expect(body).toContain('Validated the email and the password.')
  expect(body).toContain('- `src/signup.ts`\n- `src/lib/email.ts`')
  fireEvent.change(input('Title'), { target: { value: 'Validate the signup form' } })
  fireEvent.click(screen.getByLabelText('Draft'))

  const answer = deferred<TaskOutcome>()
  fake.handlers['tasks.publish'] = () => answer.promise
  const submit = screen.getByRole('button', { name: 'Open pull request' })
  fireEvent.click(submit)
  fireEvent.click(submit)
  expect(await screen.findByRole('button', { name: 'Pushing and opening…' })).toHaveProperty('disabled', true)
  await act(async () => answer.resolve(ok(PR)))
  expect(fake.callsOf('tasks.publish')).toEqual([
    {
      kind: 'pull_request',
      id: 'p1',
      branch: expect.stringMatching(/^ai-test-\d{8}-\d{6}$/),
      title: 'Validate the signup form',
      body,
      draft: true,
      fork: false,
    },
  ])
  const status = await screen.findByRole('status')
  expect(status.textContent).toContain('Opened')
  const link = within(status).getByRole('link', { name: 'acme/shop#7' })
  expect(link.getAttribute('href')).toBe(PR.url)
  fake.handlers['shell.openExternal'] = () => ok(null)
  fireEvent.click(link)
  expect(fake.callsOf('shell.openExternal')).toEqual([{ url: PR.url }])
})

test('in a browser the PR link opens in a new tab', async () => {
  show({ id: 'p2' }, false)
  fake.handlers['tasks.publish'] = () => ok(PR)
  fireEvent.click(screen.getByRole('button', { name: 'Open pull request' }))
  const link = await screen.findByRole('link', { name: 'acme/shop#7' })
  expect(link.getAttribute('target')).toBe('_blank')
  expect(link.getAttribute('rel')).toContain('noopener')
  // Not clicked: happy-dom would really fetch the page; the click handler leaves a browser's default alone.
})

test('when the user cannot push, the fork is offered and retries with fork: true', async () => {
  show({ id: 'p3' })
  fake.handlers['tasks.publish'] = (i) =>
    i.kind === 'pull_request' && i.fork
      ? ok({ ...PR, forked: true })
      : {
          ok: false,
          error: {
            kind: 'auth_failed',
            message: 'You cannot push to acme/shop.',
            details: { canFork: true },
          },
        }
  fireEvent.click(screen.getByRole('button', { name: 'Open pull request' }))
  expect(await screen.findByText('You cannot push to acme/shop.')).toBeTruthy()
  fireEvent.click(screen.getByRole('button', { name: 'Fork and open from my fork' }))
  expect((await screen.findByRole('status')).textContent).toContain('your fork’s')
  expect(fake.callsOf('tasks.publish').map((c) => c.kind === 'pull_request' && c.fork)).toEqual([false, true])
})

test('an error that is not about pushing offers no fork', async () => {
  show({ id: 'p4' })
  fake.handlers['tasks.publish'] = () => ({
    ok: false,
    error: { kind: 'git_failed', message: 'GitHub rejected the push: protected branch.' },
  })
  fireEvent.click(screen.getByRole('button', { name: 'Open pull request' }))
  expect(await screen.findByText('GitHub rejected the push: protected branch.')).toBeTruthy()
  expect(screen.queryByRole('button', { name: 'Fork and open from my fork' })).toBeNull()
})

test('another git remote: push the branch and say where it went', async () => {
  show({ id: 'p5', source: { kind: 'git', url: 'https://git.example.org/team/app.git' } })
  expect(screen.queryByRole('button', { name: 'Open pull request' })).toBeNull()
  fake.handlers['tasks.publish'] = (i) =>
    ok({
      kind: 'pushed',
      at: AT,
      remote: 'https://git.example.org/team/app.git',
      branch: i.kind === 'push' ? (i.branch ?? '') : '',
      commit: 'abcdef0123456789',
    })
  fireEvent.change(input('Branch'), { target: { value: 'fix/signup' } })
  fireEvent.click(screen.getByRole('button', { name: 'Push branch' }))
  const status = await screen.findByRole('status')
  expect(status.textContent).toContain('Pushed branch fix/signup to https://git.example.org/team/app.git')
  expect(fake.callsOf('tasks.publish')).toEqual([{ kind: 'push', id: 'p5', branch: 'fix/signup' }])
})

test('folder source: apply writes the files; a conflict lists the paths; the branch mode commits', async () => {
  show({ id: 'p6', source: { kind: 'folder', path: '/home/me/app' } })
  expect(screen.queryByLabelText('Branch')).toBeNull()
  fake.handlers['tasks.publish'] = (i) =>
    i.kind === 'apply' && i.mode === 'files'
      ? {
          ok: false,
          error: {
            kind: 'conflict',
            message: '2 files changed in /home/me/app since the task started.',
            details: { paths: ['src/signup.ts', 'README.md'] },
          },
        }
      : ok({
          kind: 'applied',
          at: AT,
          folder: '/home/me/app',
          mode: 'branch',
          files: FILES,
          branch: 'ai-test-x',
          commit: '0123456789abcdef',
        })
  fireEvent.click(screen.getByRole('button', { name: 'Apply to folder' }))
  const list = await screen.findByRole('list', { name: 'Conflicting files' })
  expect(
    within(list)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual(['src/signup.ts', 'README.md'])
  fireEvent.click(screen.getByLabelText(/Commit on a new branch/))
  fireEvent.change(input('Branch'), { target: { value: 'ai-test-x' } })
  fireEvent.click(screen.getByRole('button', { name: 'Apply to folder' }))
  const status = await screen.findByRole('status')
  expect(status.textContent).toContain('Applied 2 files to /home/me/app')
  expect(status.textContent).toContain('Committed on branch ai-test-x')
  expect(fake.callsOf('tasks.publish')).toEqual([
    { kind: 'apply', id: 'p6', mode: 'files' },
    { kind: 'apply', id: 'p6', mode: 'branch', branch: 'ai-test-x' },
  ])
})

const exported = (format: 'patch' | 'zip'): TaskOutcome => ({
  kind: 'exported',
  at: AT,
  format,
  artifact: format === 'zip' ? 'export.zip' : 'export.patch',
  bytes: 2048,
})

test('export in the desktop app: the engine writes it, then the save dialog places it', async () => {
  show({ id: 'p7', source: { kind: 'folder', path: '/home/me/app' } })
  fake.handlers['tasks.publish'] = (i) => ok(exported(i.kind === 'export' ? i.format : 'patch'))
  fake.handlers['dialog.saveExport'] = () => ok('/home/me/Desktop/signup.patch')
  fireEvent.click(screen.getByRole('button', { name: 'Export .patch' }))
  await waitFor(() =>
    expect(screen.getByText(/Saved export.patch \(2\.0 KB\) to/).textContent).toContain(
      '/home/me/Desktop/signup.patch',
    ),
  )
  expect(fake.calls.map((c) => c.name).filter((n) => n !== 'settings.get')).toEqual([
    'tasks.publish',
    'dialog.saveExport',
  ])
  expect(fake.callsOf('dialog.saveExport')).toEqual([{ id: 'p7', format: 'patch' }])
  fake.handlers['dialog.saveExport'] = () => ok(null)
  fireEvent.click(screen.getByRole('button', { name: 'Save ZIP' }))
  expect(await screen.findByText('export.zip is ready (2.0 KB); not saved.')).toBeTruthy()
})

test('ZIP source in a browser: Save ZIP is the main action and gives a download link', async () => {
  show({ id: 'p8', source: { kind: 'zip', path: '/uploads/code.zip' } }, false)
  const buttons = within(screen.getByRole('region', { name: 'Publish' }))
    .getAllByRole('button')
    .map((b) => b.textContent)
  expect(buttons).toEqual(['Save ZIP', 'Export .patch'])
  expect(screen.getByRole('button', { name: 'Save ZIP' }).className).toContain('primary')
  fake.handlers['tasks.publish'] = () => ok(exported('zip'))
  fireEvent.click(screen.getByRole('button', { name: 'Save ZIP' }))
  const link = await screen.findByRole('link', { name: 'Download export.zip' })
  expect(link.getAttribute('href')).toBe('/api/logs/p8/export.zip')
  expect(fake.callsOf('dialog.saveExport')).toEqual([])
})

test('nothing can be published outside review or with every file excluded', () => {
  show({ id: 'p9', status: 'running' })
  expect(screen.getByText('Publishing is available when the task is in review.')).toBeTruthy()
  expect(screen.getByRole('button', { name: 'Open pull request' })).toHaveProperty('disabled', true)
  expect(screen.getByRole('button', { name: 'Export .patch' })).toHaveProperty('disabled', true)
  cleanup()
  show({ id: 'p10' }, true, [])
  expect(screen.getByText('Include at least one file to publish.')).toBeTruthy()
  expect(screen.getByRole('button', { name: 'Save ZIP' })).toHaveProperty('disabled', true)
})
