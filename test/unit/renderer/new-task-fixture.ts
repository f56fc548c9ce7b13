import { cleanup } from '@testing-library/react'
import { afterEach, beforeEach } from 'vitest'
import { emptyDraft, updateDraft } from '../../../src/renderer/src/features/new-task/draft'
import type { SubmitTaskInput } from '../../../src/shared/task'
import { makeTask, ok } from './app-fake-api'
import { fake } from './app-install-fake'

/**
 * The New task page's component tests: before each, no calls yet, an empty draft, a submit answering task
 * `new-task-1`, and (given `folder`) a folder picker choosing it; after each, the page unmounted.
 */
export function useNewTaskFake(opts: { folder?: string } = {}): void {
  beforeEach(() => {
    fake.calls.length = 0
    updateDraft(emptyDraft())
    fake.handlers['tasks.submit'] = (input) =>
      ok(makeTask(7, { id: 'new-task-1', prompt: (input as SubmitTaskInput).prompt }))
    const { folder } = opts
    if (folder) fake.handlers['dialog.pickFolder'] = () => ok(folder)
  })
  afterEach(() => {
    cleanup()
    window.location.hash = ''
  })
}

/** Every `tasks.submit` input the page sent, in order. */
export const submits = (): SubmitTaskInput[] =>
  fake.calls.filter((c) => c.name === 'tasks.submit').map((c) => c.input as SubmitTaskInput)
