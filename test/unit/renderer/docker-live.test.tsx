// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { App } from '../../../src/renderer/src/app/app'
import type { SystemStatus } from '../../../src/shared/system'
import { ok, reachableStatus } from './app-fake-api'

const gone: SystemStatus = reachableStatus({
  docker: {
    reachable: false,
    state: 'not_running',
    error: { kind: 'docker_unavailable', message: 'Docker is not running.', hint: 'Start it.' },
  },
})

afterEach(() => cleanup())

describe('the Docker indicator while the app runs', () => {
  it('turns at the engine’s edge event, keeps the app in view, and turns back when Docker is back', async () => {
    fake.handlers['system.status'] = () => ok(reachableStatus())
    render(<App />)
    expect(await screen.findByText('Docker 20.10.24')).toBeTruthy()

    // The engine pushes the edge; the next check (which the event starts) would say the same.
    fake.handlers['system.status'] = () => ok(gone)
    await act(async () =>
      fake.emit({
        kind: 'docker',
        reachable: false,
        error: { kind: 'docker_unavailable', message: 'Docker stopped answering.' },
      }),
    )
    expect(await screen.findByText('Docker not reachable')).toBeTruthy()
    expect(screen.getByText(/tasks wait in the queue and start once it answers again/)).toBeTruthy()
    // The app stays: no full-window Docker screen over the tasks.
    expect(screen.queryByRole('button', { name: 'Continue without Docker' })).toBeNull()
    expect(screen.getByRole('complementary', { name: 'Tasks' })).toBeTruthy()

    fake.handlers['system.status'] = () => ok(reachableStatus())
    await act(async () => fake.emit({ kind: 'docker', reachable: true }))
    expect(await screen.findByText('Docker 20.10.24')).toBeTruthy()
  })
})
