import { render, screen, waitFor } from '@testing-library/react'
import { expect } from 'vitest'
import { SettingsPage } from '../../../src/renderer/src/features/settings/settings-page'
import { settingsStore } from '../../../src/renderer/src/lib/settings'
import { systemStore } from '../../../src/renderer/src/lib/system'
import { fake } from './app-install-fake'

/** The fake API as a new Settings page finds it: no secrets set, the keychain backend, no calls yet. */
export async function resetSettingsFake(): Promise<void> {
  fake.calls.length = 0
  fake.secrets.openai = false
  fake.secrets.github = false
  fake.secrets.backend = 'keychain'
  await settingsStore().reload()
  await systemStore().refresh()
}

/** The inputs of every call of `name` the page made. */
export const called = (name: string): unknown[] =>
  fake.calls.filter((c) => c.name === name).map((c) => c.input)

/** The Settings page, once its sections and the GitHub status have loaded. */
export async function renderSettingsPage(): Promise<void> {
  render(<SettingsPage />)
  await screen.findByRole('region', { name: 'Model' })
  await waitFor(() =>
    expect(screen.getByRole('region', { name: 'GitHub' }).querySelector('.pill')).toBeTruthy(),
  )
}
