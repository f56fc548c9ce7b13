// @vitest-environment happy-dom
import './app-install-fake'
import { act, fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { NewTaskPage } from '../../../src/renderer/src/features/new-task/new-task-page'
import { formToPatch, toForm } from '../../../src/renderer/src/features/settings/settings-form'
import { defaultSettings } from '../../../src/shared/settings'
import { submits, useNewTaskFake } from './new-task-fixture'

useNewTaskFake({ folder: '/srv/code/shop' })

async function startWith(runtime?: string): Promise<void> {
  render(<NewTaskPage />)
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Choose folder…' })))
  fireEvent.change(screen.getByRole('textbox', { name: 'Task' }), { target: { value: 'fix it' } })
  fireEvent.click(screen.getByRole('button', { name: /Options/ }))
  if (runtime)
    fireEvent.change(screen.getByRole('combobox', { name: 'Agent runtime' }), { target: { value: runtime } })
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
}

describe('the runtime option', () => {
  it('sends the runtime picked in the new-task options', async () => {
    await startWith('codex')
    expect(submits()).toHaveLength(1)
    expect(submits()[0]!.runtime).toBe('codex')
  })

  it('sends no runtime when left at the default (Settings decide at submit)', async () => {
    await startWith()
    expect(submits()).toHaveLength(1)
    expect('runtime' in submits()[0]!).toBe(false)
  })

  it('Settings keep the default runtime', () => {
    const form = { ...toForm(defaultSettings()), runtime: 'codex' }
    expect(toForm(defaultSettings()).runtime).toBe('builtin')
    expect(formToPatch(form).patch?.runtime).toBe('codex')
  })
})
