// @vitest-environment happy-dom
import { fake, ok } from './task-fake-api'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import type { RepoPage, RepoSummary } from '../../../src/shared/system'
import { defaultSettings } from '../../../src/shared/settings'
import {
  emptyDraft,
  getDraft,
  updateDraft,
  useDraft,
} from '../../../src/renderer/src/features/new-task/draft'
import { NewTaskPage } from '../../../src/renderer/src/features/new-task/new-task-page'
import { RepoPicker } from '../../../src/renderer/src/features/new-task/repo-picker'

const repo = (name: string, patch: Partial<RepoSummary> = {}): RepoSummary => ({
  fullName: `octocat/${name}`,
  owner: 'octocat',
  name,
  private: false,
  fork: false,
  defaultBranch: 'main',
  cloneUrl: `https://github.com/octocat/${name}.git`,
  description: `The ${name} project`,
  pushedAt: '2025-01-01T00:00:00Z',
  canPush: true,
  ...patch,
})

/** 25 repositories, pushed one day apart (r00 most recently), served 10 per page, filtered by name. */
const ALL = Array.from({ length: 25 }, (_, i) =>
  repo(`r${String(i).padStart(2, '0')}`, {
    pushedAt: new Date(Date.UTC(2025, 5, 30) - i * 86_400_000).toISOString(),
    private: i === 1,
    fork: i === 2,
    defaultBranch: i === 1 ? 'develop' : 'main',
  }),
)
function servePage({ page = 1, query }: { page?: number; query?: string }): RepoPage {
  const matching = ALL.filter((r) => !query || r.name.includes(query))
  return { repos: matching.slice((page - 1) * 10, page * 10), page, hasMore: matching.length > page * 10 }
}

function Picker(): React.JSX.Element {
  const draft = useDraft()
  return <RepoPicker pickedUrl={draft.gitUrl} />
}

let githubToken = true
beforeEach(() => {
  fake.calls.length = 0
  githubToken = true
  updateDraft(emptyDraft())
  fake.handlers = {
    'settings.get': () => ok(defaultSettings()),
    'tasks.list': () => ok([]),
    'secrets.status': () => ok({ openai: true, github: githubToken, backend: 'keychain' }),
    'github.status': () => ok({ tokenSet: true, login: 'octocat', scopes: ['repo'] }),
    'github.repos': (input) => ok(servePage(input)),
  }
})
afterEach(() => {
  cleanup()
  window.location.hash = ''
})

const rowNames = (): string[] =>
  Array.from(document.querySelectorAll('.repo-row .repo-name'), (el) => el.textContent ?? '')

test('without a token it says where to add one and asks GitHub nothing', async () => {
  githubToken = false
  render(<Picker />)
  fireEvent.click(await screen.findByRole('button', { name: 'Add a GitHub token in Settings' }))
  expect(screen.getByText(/to pick from your repos/)).toBeTruthy()
  expect(window.location.hash).toBe('#/settings')
  expect(fake.callsOf('github.status')).toEqual([])
  expect(fake.callsOf('github.repos')).toEqual([])
})

test('lists repositories most recently pushed first, marks private ones and forks, loads more pages', async () => {
  render(<Picker />)
  await waitFor(() => expect(rowNames()).toHaveLength(10))
  expect(rowNames()[0]).toBe('octocat/r00')
  expect(screen.getByText('@octocat', { exact: false })).toBeTruthy()
  const priv = screen.getByRole('button', { name: 'octocat/r01' })
  expect(within(priv).getByText('Private')).toBeTruthy()
  expect(priv.querySelector('svg')).toBeTruthy()
  expect(within(screen.getByRole('button', { name: 'octocat/r02' })).getByText('Fork')).toBeTruthy()
  expect(within(screen.getByRole('button', { name: 'octocat/r03' })).queryByText('Private')).toBeNull()

  fireEvent.click(screen.getByRole('button', { name: 'Load more' }))
  await waitFor(() => expect(rowNames()).toHaveLength(20))
  fireEvent.click(screen.getByRole('button', { name: 'Load more' }))
  await waitFor(() => expect(rowNames()).toHaveLength(25))
  expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull()
  expect(fake.callsOf('github.repos').map((c) => c.page)).toEqual([1, 2, 3])
  const sorted = [...rowNames()].sort()
  expect(rowNames()).toEqual(sorted)
})

test('picking a repository fills the Git URL and its default branch', async () => {
  render(<Picker />)
  fireEvent.click(await screen.findByRole('button', { name: 'octocat/r01' }))
  expect(getDraft()).toMatchObject({ gitUrl: 'https://github.com/octocat/r01.git', gitBranch: 'develop' })
  expect(screen.getByRole('button', { name: 'octocat/r01' }).getAttribute('aria-pressed')).toBe('true')
})

test('search is debounced: one request for what was typed, results replace the list', async () => {
  render(<Picker />)
  await waitFor(() => expect(rowNames()).toHaveLength(10))
  const box = screen.getByRole('searchbox', { name: 'Search repositories' })
  fireEvent.change(box, { target: { value: 'r1' } })
  fireEvent.change(box, { target: { value: 'r2' } })
  fireEvent.change(box, { target: { value: 'r2' } })
  await waitFor(() =>
    expect(rowNames()).toEqual(['octocat/r20', 'octocat/r21', 'octocat/r22', 'octocat/r23', 'octocat/r24']),
  )
  expect(fake.callsOf('github.repos')).toEqual([{ page: 1 }, { page: 1, query: 'r2' }])
  fireEvent.change(box, { target: { value: 'nothing-like-it' } })
  expect(await screen.findByText('No repositories match “nothing-like-it”.')).toBeTruthy()
})

test('a token GitHub refuses shows why, with the way to Settings', async () => {
  fake.handlers['github.status'] = () =>
    ok({
      tokenSet: true,
      error: {
        kind: 'auth_failed',
        message: 'GitHub refused the token (401 Bad credentials).',
        hint: 'Set a new token in Settings.',
      },
    })
  render(<Picker />)
  expect(await screen.findByText('GitHub refused the token (401 Bad credentials).')).toBeTruthy()
  fireEvent.click(screen.getByRole('button', { name: 'Open Settings' }))
  expect(window.location.hash).toBe('#/settings')
  expect(fake.callsOf('github.repos')).toEqual([])
})

test('missing scopes reported by github.repos are shown', async () => {
  fake.handlers['github.repos'] = () => ({
    ok: false,
    error: {
      kind: 'auth_failed',
      message: 'The token lacks the “repo” scope.',
      details: { missing: ['repo'] },
    },
  })
  render(<Picker />)
  expect(await screen.findByText('The token lacks the “repo” scope.')).toBeTruthy()
  expect(screen.getByRole('alert').getAttribute('data-kind')).toBe('auth_failed')
})

test('the Git URL tab of the new-task page shows the picker', async () => {
  render(<NewTaskPage />)
  fireEvent.click(screen.getByRole('tab', { name: 'Git URL' }))
  fireEvent.click(await screen.findByRole('button', { name: 'octocat/r00' }))
  expect((screen.getByPlaceholderText('https://github.com/owner/repo.git') as HTMLInputElement).value).toBe(
    'https://github.com/octocat/r00.git',
  )
  expect((screen.getByPlaceholderText('default branch') as HTMLInputElement).value).toBe('main')
})
