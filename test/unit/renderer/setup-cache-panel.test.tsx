// @vitest-environment happy-dom
import './app-install-fake'
import { cleanup, fireEvent, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { called, renderSettingsPage, resetSettingsFake } from './settings-fixture'

beforeEach(resetSettingsFake)
afterEach(cleanup)

it('Settings → Setup cache: "Clear setup cache" calls the engine once and says what it removed', async () => {
  await renderSettingsPage()
  const section = screen.getByRole('region', { name: 'Setup cache' })
  fireEvent.click(within(section).getByRole('button', { name: 'Clear setup cache' }))
  expect((await within(section).findByRole('status')).textContent).toBe('Removed 2 saved setups.')
  expect(called('system.clearSetupCache')).toHaveLength(1)
})
