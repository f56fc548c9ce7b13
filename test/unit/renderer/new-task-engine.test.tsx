// @vitest-environment happy-dom
import './app-install-fake'
import { act, fireEvent, render, screen } from '@testing-library/react'
import { expect, it } from 'vitest'
import { NewTaskPage } from '../../../src/renderer/src/features/new-task/new-task-page'
import { submits, useNewTaskFake } from './new-task-fixture'
import { BUILD_BOX, GPU_BOX, seedEngines } from './engines-fixture'

useNewTaskFake({ folder: '/srv/code/shop' })

async function openOptions(): Promise<void> {
  render(<NewTaskPage />)
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Choose folder…' })))
  fireEvent.change(screen.getByRole('textbox', { name: 'Task' }), { target: { value: 'fix it' } })
  fireEvent.click(screen.getByRole('button', { name: /Options/ }))
}

const start = (): Promise<void> =>
  act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Start task' }))
  })

it('with remote engines, Options has an Engine select (Automatic, then each enabled engine) whose choice is sent', async () => {
  await seedEngines([BUILD_BOX, { ...GPU_BOX, enabled: false }])
  await openOptions()
  const select = screen.getByRole('combobox', { name: 'Engine' }) as HTMLSelectElement
  expect([...select.options].map((o) => [o.value, o.text])).toEqual([
    ['', 'Automatic'],
    ['local', 'This computer'],
    ['build-box', 'Build box'],
  ])
  fireEvent.change(select, { target: { value: 'build-box' } })
  await start()
  expect(submits()).toHaveLength(1)
  expect(submits()[0]!.engine).toBe('build-box')
})

it('left at Automatic, no engine is sent (the one with a free slot runs it)', async () => {
  await seedEngines([BUILD_BOX])
  await openOptions()
  expect(screen.getByRole('combobox', { name: 'Engine' })).toBeTruthy()
  await start()
  expect(submits()).toHaveLength(1)
  expect('engine' in submits()[0]!).toBe(false)
})

it('with this computer alone there is no Engine select', async () => {
  await seedEngines([])
  await openOptions()
  expect(screen.getByRole('combobox', { name: 'Agent runtime' })).toBeTruthy()
  expect(screen.queryByRole('combobox', { name: 'Engine' })).toBeNull()
})
