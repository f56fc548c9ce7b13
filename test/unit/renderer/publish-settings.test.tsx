// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { SettingsPage } from '../../../src/renderer/src/features/settings/settings-page'
import { settingsStore } from '../../../src/renderer/src/lib/settings'
import { ok } from './app-fake-api'

beforeEach(async () => {
  fake.calls.length = 0
  fake.secrets.github = true
  await settingsStore().reload()
})
afterEach(cleanup)

const updates = (): Record<string, unknown>[] =>
  fake.calls.filter((c) => c.name === 'settings.update').map((c) => c.input as Record<string, unknown>)

test('GitHub: who the token signs in as, its scopes, and the scopes it lacks', async () => {
  fake.handlers['github.status'] = () => ok({ tokenSet: true, login: 'octocat', scopes: ['repo'] })
  render(<SettingsPage />)
  const account = await screen.findByRole('group', { name: 'GitHub account' })
  expect(await within(account).findByText('@octocat')).toBeTruthy()
  expect(account.textContent).toContain('scopes: repo')
  expect(within(account).getByRole('note').textContent).toContain('“workflow”')
})

test('GitHub: a refused token shows the error with the way to fix it', async () => {
  fake.handlers['github.status'] = () =>
    ok({ tokenSet: true, error: { kind: 'auth_failed', message: 'GitHub refused the token (401).' } })
  render(<SettingsPage />)
  expect(await screen.findByText('GitHub refused the token (401).')).toBeTruthy()
})

test('Git author, branch prefix and the GitHub API URL are saved in one update', async () => {
  render(<SettingsPage />)
  const git = await screen.findByRole('region', { name: 'Git' })
  fireEvent.change(within(git).getByLabelText('Author name'), { target: { value: 'Ada' } })
  fireEvent.change(within(git).getByLabelText('Author email'), { target: { value: 'ada@example.org' } })
  fireEvent.change(within(git).getByLabelText('Branch prefix'), { target: { value: 'bot/ai' } })
  fireEvent.change(screen.getByLabelText('GitHub API URL'), {
    target: { value: 'https://ghe.example.org/api/v3/' },
  })
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save changes' })))
  expect(updates()[0]).toMatchObject({
    git: { authorName: 'Ada', authorEmail: 'ada@example.org', branchPrefix: 'bot/ai' },
    githubApiUrl: 'https://ghe.example.org/api/v3',
  })
})

test('an invalid branch prefix is refused before saving', async () => {
  render(<SettingsPage />)
  const git = await screen.findByRole('region', { name: 'Git' })
  fireEvent.change(within(git).getByLabelText('Branch prefix'), { target: { value: '-bad prefix' } })
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save changes' })))
  expect(within(git).getByText('Letters, digits, . _ / - only')).toBeTruthy()
  expect(updates()).toEqual([])
})
