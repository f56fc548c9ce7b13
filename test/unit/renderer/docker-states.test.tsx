// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DockerGate } from '../../../src/renderer/src/features/system/docker-gate'
import { systemStore } from '../../../src/renderer/src/lib/system'
import type { DockerStatus } from '../../../src/shared/system'
import { ok, reachableStatus } from './app-fake-api'
import { called, renderSettingsPage, resetSettingsFake } from './settings-fixture'

const problem = (docker: Partial<DockerStatus>, message: string, hint: string): DockerStatus => ({
  reachable: false,
  endpoint: {
    host: 'unix:///var/run/docker.sock',
    source: 'socket',
    description: 'unix:///var/run/docker.sock (found)',
  },
  error: { kind: 'docker_unavailable', message, hint },
  ...docker,
})

const showing = (docker: DockerStatus): void => {
  fake.handlers['system.status'] = () => ok(reachableStatus({ docker }))
}

beforeEach(resetSettingsFake)

afterEach(() => {
  cleanup()
  fake.handlers['system.status'] = () => ok(reachableStatus())
})

describe('the Docker screen, per state', () => {
  const cases: [DockerStatus, string, boolean][] = [
    [
      problem({ state: 'not_installed' }, 'No Docker engine is installed.', 'Install Docker.'),
      'Docker is not installed',
      true,
    ],
    [problem({ state: 'not_running' }, 'Docker is not running.', 'Start it.'), 'Docker is not running', true],
    [
      problem(
        { state: 'no_permission' },
        'Your user may not use the Docker engine (permission denied).',
        'Add yourself to the `docker` group.',
      ),
      'No permission to use Docker',
      false,
    ],
    [
      problem(
        { state: 'windows_containers', version: '27.3.1' },
        'Docker Desktop is running Windows containers.',
        'Switch to Linux containers.',
      ),
      'Docker is in Windows containers mode',
      false,
    ],
    [
      problem({ state: 'waking' }, 'Docker Desktop is waking up.', 'Wait a moment.'),
      'Docker is waking up',
      false,
    ],
  ]
  for (const [docker, title, installSteps] of cases) {
    it(`says “${title}” with what to do`, async () => {
      showing(docker)
      await act(async () => systemStore().refresh())
      render(<DockerGate intervalMs={60_000}>the app</DockerGate>)
      expect(await screen.findByRole('heading', { name: title })).toBeTruthy()
      expect(screen.getByText(docker.error!.message)).toBeTruthy()
      expect(screen.getByText(/Looking for it at unix:\/\/\/var\/run\/docker.sock \(found\)/)).toBeTruthy()
      // Install-and-start steps only where they are the fix.
      expect(Boolean(screen.queryByText('sudo apt install docker.io'))).toBe(installSteps)
      expect(screen.queryByText('the app')).toBeNull()
    })
  }
})

describe('Settings → Docker', () => {
  it('shows the engine, its size and the lowered sandbox limits', async () => {
    showing({
      reachable: true,
      state: 'ready',
      version: '27.4.0',
      engine: { name: 'Colima', osType: 'linux', rootless: false, cpus: 2, memoryMb: 1965 },
      endpoint: {
        host: 'unix:///Users/me/.colima/default/docker.sock',
        source: 'context',
        context: 'colima',
        description: 'unix:///Users/me/.colima/default/docker.sock (docker context “colima”)',
      },
      limits: {
        requested: { cpus: 4, memoryMb: 4096 },
        applied: { cpus: 2, memoryMb: 1768 },
        message: "Colima's VM has 2 CPUs and 1965 MB of memory: tasks run with 2 CPUs instead of 4.",
      },
    })
    await act(async () => systemStore().refresh())
    await renderSettingsPage()
    const docker = screen.getByRole('region', { name: 'Docker' })
    expect(within(docker).getByText('Running')).toBeTruthy()
    expect(within(docker).getByText('Colima')).toBeTruthy()
    expect(within(docker).getByText('2 CPUs, 1965 MB')).toBeTruthy()
    expect(within(docker).getByText(/docker context “colima”/)).toBeTruthy()
    expect(within(docker).getByRole('note').textContent).toContain('tasks run with 2 CPUs instead of 4')
  })

  it('saves the engine address, checks Docker again at once, and clears it when emptied', async () => {
    await renderSettingsPage()
    const docker = screen.getByRole('region', { name: 'Docker' })
    const input = within(docker).getByLabelText('Engine address') as HTMLInputElement
    expect(input.value).toBe('')
    fireEvent.change(input, { target: { value: 'not a host' } })
    await act(async () => fireEvent.submit(input.closest('form')!))
    expect(within(docker).getByText(/A host like unix:\/\/\/var\/run\/docker.sock/)).toBeTruthy()
    expect(called('settings.update')).toEqual([])

    const checks = called('system.status').length
    fireEvent.change(input, { target: { value: ' unix:///Users/me/.orbstack/run/docker.sock ' } })
    await act(async () => fireEvent.submit(input.closest('form')!))
    const [patch] = called('settings.update') as { docker: unknown }[]
    expect(patch!.docker).toEqual({ host: 'unix:///Users/me/.orbstack/run/docker.sock' })
    await waitFor(() => expect(called('system.status').length).toBeGreaterThan(checks))

    fireEvent.change(input, { target: { value: '' } })
    await act(async () => fireEvent.submit(input.closest('form')!))
    expect((called('settings.update').at(-1) as { docker: unknown }).docker).toEqual({ host: null })
  })
})
