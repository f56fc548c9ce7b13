// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { emptyDraft, updateDraft } from '../../../src/renderer/src/features/new-task/draft'
import { NewTaskPage } from '../../../src/renderer/src/features/new-task/new-task-page'
import { formToPatch, toForm } from '../../../src/renderer/src/features/settings/settings-form'
import { defaultSettings } from '../../../src/shared/settings'
import type { SubmitTaskInput } from '../../../src/shared/task'
import { makeTask, ok } from './app-fake-api'

beforeEach(() => {
  fake.calls.length = 0
  updateDraft(emptyDraft())
  fake.handlers['tasks.submit'] = (input) =>
    ok(makeTask(7, { id: 'new-task-1', prompt: (input as SubmitTaskInput).prompt }))
  fake.handlers['dialog.pickFolder'] = () => ok('/srv/code/shop')
})

afterEach(() => {
  cleanup()
  window.location.hash = ''
})

const submits = (): SubmitTaskInput[] =>
  fake.calls.filter((c) => c.name === 'tasks.submit').map((c) => c.input as SubmitTaskInput)

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
