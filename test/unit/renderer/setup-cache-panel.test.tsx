// @vitest-environment happy-dom
import './app-install-fake'
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { ok } from './app-fake-api'
import { fake } from './app-install-fake'
import { called, renderSettingsPage, resetSettingsFake } from './settings-fixture'

beforeEach(resetSettingsFake)
afterEach(cleanup)

it('Settings → Setup cache: shows what it holds; "Clear setup cache" calls the engine once, says what it removed, and shows it empty', async () => {
  const usage = { entries: 2, bytes: 1_500_000_000 }
  const original = fake.handlers['system.setupCache']
  fake.handlers['system.setupCache'] = () => ok({ ...usage })
  try {
    await renderSettingsPage()
    const section = screen.getByRole('region', { name: 'Setup cache' })
    const shown = (): string | null | undefined =>
      within(section).queryByLabelText('Setup cache usage')?.textContent
    await waitFor(() => expect(shown()).toBe('2 saved setups, 1.4 GB'))
    Object.assign(usage, { entries: 0, bytes: 0 })
    fireEvent.click(within(section).getByRole('button', { name: 'Clear setup cache' }))
    expect((await within(section).findByRole('status')).textContent).toBe('Removed 2 saved setups.')
    expect(called('system.clearSetupCache')).toHaveLength(1)
    await waitFor(() => expect(shown()).toBe('Empty'))
  } finally {
    fake.handlers['system.setupCache'] = original
  }
})
