// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { App } from '../../../src/renderer/src/app/app'
import { DockerGate } from '../../../src/renderer/src/features/system/docker-gate'
import { ErrorView } from '../../../src/renderer/src/lib/error-view'
import { ERROR_PRESENTATION, fieldErrors } from '../../../src/renderer/src/lib/errors'
import { settingsStore } from '../../../src/renderer/src/lib/settings'
import { ERROR_KINDS } from '../../../src/shared/errors'
import type { SystemStatus } from '../../../src/shared/system'
import { ok, reachableStatus } from './app-fake-api'

const unreachable = (platform: string): SystemStatus =>
  reachableStatus({
    platform,
    docker: {
      reachable: false,
      error: {
        kind: 'docker_unavailable',
        message: 'Docker is not running (no socket at /var/run/docker.sock).',
        hint: 'Start the Docker engine (`sudo systemctl start docker`), then try again.',
      },
    },
    image: { baseImage: 'debian:bookworm-slim', present: false, building: false },
  })

const statusCalls = (): number => fake.calls.filter((c) => c.name === 'system.status').length

beforeEach(() => {
  fake.calls.length = 0
  fake.handlers['system.status'] = () => ok(reachableStatus())
})

afterEach(() => {
  cleanup()
  window.location.hash = ''
})

describe('DockerGate', () => {
  it('shows what to do when Docker is unreachable, re-checks, and lets the app in once it answers', async () => {
    fake.handlers['system.status'] = () => ok(unreachable('linux'))
    render(
      <DockerGate intervalMs={40}>
        <p>the app</p>
      </DockerGate>,
    )
    expect(await screen.findByRole('heading', { name: 'Docker is not running' })).toBeTruthy()
    expect(screen.getByText('Docker is not running (no socket at /var/run/docker.sock).')).toBeTruthy()
    expect(screen.getByText(/sudo systemctl start docker/)).toBeTruthy()
    expect(screen.getByText('sudo apt install docker.io')).toBeTruthy()
    expect(screen.queryByText('the app')).toBeNull()

    const before = statusCalls()
    await act(async () => fireEvent.click(screen.getByRole('button', { name: /Check again|Checking/ })))
    expect(statusCalls()).toBeGreaterThan(before)
    // And by itself, every interval.
    const afterClick = statusCalls()
    await waitFor(() => expect(statusCalls()).toBeGreaterThan(afterClick + 1))

    fake.handlers['system.status'] = () => ok(reachableStatus())
    expect(await screen.findByText('the app')).toBeTruthy()
    const settled = statusCalls()
    await new Promise((r) => setTimeout(r, 150))
    expect(statusCalls()).toBe(settled)
  })

  it('names Docker Desktop on macOS and Windows', async () => {
    fake.handlers['system.status'] = () => ok(unreachable('darwin'))
    render(<DockerGate>app</DockerGate>)
    expect(await screen.findByRole('link', { name: 'Docker Desktop for Mac' })).toBeTruthy()
    cleanup()
    fake.handlers['system.status'] = () => ok(unreachable('win32'))
    render(<DockerGate>app</DockerGate>)
    const again = await screen.findByRole('button', { name: /Check again/ })
    await act(async () => fireEvent.click(again))
    expect(await screen.findByRole('link', { name: 'Docker Desktop for Windows' })).toBeTruthy()
  })

  it('can be passed to look at past tasks and settings', async () => {
    fake.handlers['system.status'] = () => ok(unreachable('linux'))
    render(<DockerGate intervalMs={60_000}>the app</DockerGate>)
    fireEvent.click(await screen.findByRole('button', { name: 'Continue without Docker' }))
    expect(screen.getByText('the app')).toBeTruthy()
  })
})

describe('App', () => {
  it('lays out the sidebar and the page, and answers the global shortcuts', async () => {
    render(<App />)
    expect(await screen.findByRole('heading', { name: 'New task' })).toBeTruthy()
    expect(screen.getByRole('complementary', { name: 'Tasks' })).toBeTruthy()
    expect(screen.getByText('Docker 20.10.24')).toBeTruthy()

    await act(async () => fireEvent.keyDown(window, { key: ',', ctrlKey: true }))
    expect(window.location.hash).toBe('#/settings')
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy()

    await act(async () => fireEvent.keyDown(window, { key: 'n', ctrlKey: true }))
    expect(window.location.hash).toBe('#/new')

    await act(async () => fireEvent.keyDown(window, { key: 'k', ctrlKey: true }))
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Search tasks' }))
  })

  it('applies the theme setting to <html>', async () => {
    render(<App />)
    await screen.findByRole('heading', { name: 'New task' })
    await act(async () => void (await settingsStore().update({ theme: 'dark' })))
    expect(document.documentElement.dataset.theme).toBe('dark')
    await act(async () => void (await settingsStore().update({ theme: 'system' })))
    expect(document.documentElement.dataset.theme).toBeUndefined()
  })

  it('tells that the first task builds a missing agent image', async () => {
    fake.handlers['system.status'] = () =>
      ok(reachableStatus({ image: { tag: 't', baseImage: 'b', present: false, building: false } }))
    render(<App />)
    expect(await screen.findByText(/The first task will build it/)).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Build now' })).toBeTruthy()
  })
})

describe('ErrorView', () => {
  it('has a title for every error kind', () => {
    for (const kind of ERROR_KINDS) expect(ERROR_PRESENTATION[kind].title).toBeTruthy()
  })

  it('offers Settings for auth errors and a Docker re-check for docker_unavailable', async () => {
    render(<ErrorView error={{ kind: 'auth_failed', message: 'The model API refused the key (401).' }} />)
    expect(screen.getByText('Authentication failed')).toBeTruthy()
    expect(screen.getByText('Check the API key or the GitHub token in Settings.')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Open Settings' }))
    expect(window.location.hash).toBe('#/settings')
    cleanup()

    render(
      <ErrorView error={{ kind: 'docker_unavailable', message: 'The Docker engine stopped responding.' }} />,
    )
    const before = statusCalls()
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Check Docker' })))
    expect(statusCalls()).toBe(before + 1)
  })

  it('reads field errors out of an invalid_input message', () => {
    expect(
      fieldErrors({
        kind: 'invalid_input',
        message:
          'limits.maxSteps: Too big: expected number to be <=1000; model: Too small: expected string to have >=1 characters',
      }),
    ).toEqual({ 'limits.maxSteps': 'At most 1,000.', model: 'Required.' })
  })
})
