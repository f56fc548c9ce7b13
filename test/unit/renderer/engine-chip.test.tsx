// @vitest-environment happy-dom
import './app-install-fake'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, expect, it } from 'vitest'
import { TaskRow } from '../../../src/renderer/src/features/task-list/task-row'
import { TaskHeader } from '../../../src/renderer/src/features/task/task-header'
import type { TaskRecord } from '../../../src/shared/task'
import { makeTask } from './app-fake-api'
import { BUILD_BOX, seedEngines } from './engines-fixture'

afterEach(cleanup)

const onBuildBox = makeTask(3, { engine: 'build-box', status: 'review' })

function renderBoth(task: TaskRecord): void {
  render(
    <>
      <div role="listbox" aria-label="Tasks">
        <TaskRow task={task} selected={false} now={Date.now()} top={0} onOpen={() => {}} />
      </div>
      <TaskHeader task={task} onError={() => {}} />
    </>,
  )
}

it('with this computer alone, neither the task row nor the header names the engine', async () => {
  await seedEngines([])
  renderBoth(onBuildBox)
  expect(screen.getByRole('option').textContent).toContain('Task number 3')
  expect(screen.queryByText(/^on /)).toBeNull()
})

it('with a remote engine too, the row and the header say "on <engine>" for a task with its engine set', async () => {
  await seedEngines([BUILD_BOX])
  renderBoth(onBuildBox)
  await waitFor(() => expect(screen.getAllByText('on Build box')).toHaveLength(2))
  const [inRow, inHeader] = screen.getAllByText('on Build box')
  expect(screen.getByRole('option').contains(inRow!)).toBe(true)
  expect(screen.getByRole('banner').contains(inHeader!)).toBe(true)
  cleanup()
  // This computer by its name; a task not started yet (no engine) says nothing.
  renderBoth(makeTask(4, { engine: 'local' }))
  expect(screen.getAllByText('on This computer')).toHaveLength(2)
  cleanup()
  renderBoth(makeTask(5))
  expect(screen.queryByText(/^on /)).toBeNull()
})
