// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { settingsStore } from '../../../src/renderer/src/lib/settings'
import { defaultSettings } from '../../../src/shared/settings'
import { called, renderSettingsPage, resetSettingsFake } from './settings-fixture'

const SECRET = 'sk-test-DO-NOT-SHOW-5151'
/** The fake's own settings.update: the endpoints the fake store compares with. */
const updateSettings = fake.handlers['settings.update']

beforeEach(async () => {
  for (const name of ['openai', 'github'] as const) delete fake.boundTo[name]
  await updateSettings({ ...defaultSettings() })
  await resetSettingsFake()
})

afterEach(() => {
  cleanup()
  window.location.hash = ''
})

const renderPage = renderSettingsPage

describe('a secret entered for another endpoint', () => {
  it('is held back after the base URL changes, and goes to the new host only when the user says so', async () => {
    await renderPage()
    const model = screen.getByRole('region', { name: 'Model' })
    fireEvent.change(within(model).getByLabelText('API key'), { target: { value: SECRET } })
    await act(async () => fireEvent.click(within(model).getByRole('button', { name: 'Save' })))
    expect(within(model).queryByRole('note', { name: 'Endpoint changed' })).toBeNull()

    // Point the model at another host and save: the key is now held back, and the field says so.
    fireEvent.change(within(model).getByLabelText('Base URL'), {
      target: { value: 'https://evil.example/v1' },
    })
    await act(async () => fireEvent.submit(within(model).getByLabelText('Base URL').closest('form')!))
    const notice = await within(model).findByRole('note', { name: 'Endpoint changed' })
    expect(notice.textContent).toMatch(/Entered for api\.openai\.com — the endpoint is now evil\.example\./)
    expect(within(notice).getByRole('button', { name: 'Replace the key' })).toBeTruthy()
    expect(called('secrets.allowEndpoint')).toEqual([])

    await act(async () =>
      fireEvent.click(within(notice).getByRole('button', { name: 'Send my key to evil.example' })),
    )
    expect(called('secrets.allowEndpoint')).toEqual([{ name: 'openai', endpoint: 'https://evil.example' }])
    expect(within(model).queryByRole('note', { name: 'Endpoint changed' })).toBeNull()
    // The value never reached the page, and nothing ever asked for it.
    expect(document.body.innerHTML).not.toContain(SECRET)
    expect(called('secrets.get' as string)).toEqual([])
  })

  it('offers to enter the secret again instead, and does not check a held-back GitHub token', async () => {
    fake.secrets.github = true
    fake.boundTo.github = null // stored before secrets were bound
    await renderPage()
    const github = screen.getByRole('region', { name: 'GitHub' })
    const notice = within(github).getByRole('note', { name: 'Endpoint changed' })
    expect(notice.textContent).toMatch(/Stored before codex-sys recorded which endpoint it is for/)
    expect(within(notice).getByRole('button', { name: 'Send my token to api.github.com' })).toBeTruthy()
    expect(called('github.status')).toEqual([])

    fireEvent.click(within(notice).getByRole('button', { name: 'Replace the token' }))
    const input = within(github).getByLabelText('GitHub token') as HTMLInputElement
    expect(input.value).toBe('')
    fireEvent.change(input, { target: { value: 'ghp_again_0000000000' } })
    await act(async () => fireEvent.click(within(github).getByRole('button', { name: 'Save' })))
    expect(called('secrets.set')).toEqual([{ name: 'github', value: 'ghp_again_0000000000' }])
    expect(within(github).queryByRole('note', { name: 'Endpoint changed' })).toBeNull()
    // Bound to the host it was entered for now: the token is checked.
    await waitFor(() => expect(called('github.status').length).toBeGreaterThan(0))
    expect(await within(github).findByText('@octocat')).toBeTruthy()
  })

  it('tells the user when the endpoint moved again before they confirmed', async () => {
    fake.secrets.openai = true
    fake.boundTo.openai = 'https://api.openai.com'
    await updateSettings({ baseUrl: 'https://one.example/v1' })
    await settingsStore().reload()
    await renderPage()
    const model = screen.getByRole('region', { name: 'Model' })
    const notice = within(model).getByRole('note', { name: 'Endpoint changed' })
    fake.handlers['secrets.allowEndpoint'] = () =>
      Promise.resolve({
        ok: false,
        error: {
          kind: 'conflict',
          message: 'The model API key would now go to two.example, not one.example.',
        },
      })
    await act(async () =>
      fireEvent.click(within(notice).getByRole('button', { name: 'Send my key to one.example' })),
    )
    expect(within(model).getByText(/would now go to two\.example/)).toBeTruthy()
  })
})
