// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemStore } from '../../../src/renderer/src/lib/system'
import { REGISTRY_HOSTS } from '../../../src/shared/network'
import { defaultSettings } from '../../../src/shared/settings'
import { ok, reachableStatus } from './app-fake-api'
import { called, renderSettingsPage, resetSettingsFake } from './settings-fixture'

const SECRET = 'sk-test-DO-NOT-SHOW-4242'

beforeEach(resetSettingsFake)

afterEach(() => {
  cleanup()
  window.location.hash = ''
})

const renderPage = renderSettingsPage

describe('SettingsPage', () => {
  it('stores an API key without ever showing it', async () => {
    await renderPage()
    const section = screen.getByRole('region', { name: 'Model' })
    const input = within(section).getByLabelText('API key') as HTMLInputElement
    expect(input.type).toBe('password')
    fireEvent.change(input, { target: { value: SECRET } })
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Save' })))
    expect(called('secrets.set')).toEqual([{ name: 'openai', value: SECRET }])
    expect(within(section).getByText('Stored in keychain')).toBeTruthy()
    expect(within(section).queryByLabelText('API key')).toBeNull()
    expect(within(section).getByRole('button', { name: 'Replace' })).toBeTruthy()
    // Nowhere in the page: not as text, not as an input's value.
    expect(document.body.innerHTML).not.toContain(SECRET)
    for (const el of document.querySelectorAll('input')) expect(el.value).not.toContain(SECRET)
    expect(called('secrets.get' as string)).toEqual([])

    fireEvent.click(within(section).getByRole('button', { name: 'Replace' }))
    expect((within(section).getByLabelText('API key') as HTMLInputElement).value).toBe('')
    fireEvent.click(within(section).getByRole('button', { name: 'Cancel' }))
    await act(async () => fireEvent.click(within(section).getByRole('button', { name: 'Remove' })))
    expect(called('secrets.delete')).toEqual([{ name: 'openai' }])
    expect(within(section).getByText('Not set')).toBeTruthy()
  })

  it('says when a secret lives for this session only', async () => {
    fake.secrets.backend = 'session'
    fake.secrets.github = true
    await renderPage()
    expect(screen.getByText(/keys are kept for this session only/)).toBeTruthy()
    const github = screen.getByRole('region', { name: 'GitHub' })
    expect(within(github).getByText('Stored for this session only')).toBeTruthy()
  })

  it('saves changed settings and shows field errors', async () => {
    await renderPage()
    const steps = screen.getByLabelText('Steps')
    fireEvent.change(steps, { target: { value: '5000' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save changes' })))
    expect(screen.getByText('At most 1,000.')).toBeTruthy()
    expect(called('settings.update')).toEqual([])

    fireEvent.change(steps, { target: { value: '80' } })
    fireEvent.change(screen.getByLabelText('Time limit'), { target: { value: '45' } })
    fireEvent.change(screen.getByLabelText('Base URL'), { target: { value: 'http://127.0.0.1:9999/v1' } })
    await act(async () => fireEvent.submit(steps.closest('form')!))
    const [patch] = called('settings.update') as Record<string, Record<string, unknown>>[]
    expect(patch!.limits).toMatchObject({ maxSteps: 80, timeLimitMs: 45 * 60_000 })
    expect(patch!.baseUrl).toBe('http://127.0.0.1:9999/v1')
    expect(await screen.findByText('Saved.')).toBeTruthy()
  })

  it('edits the sandbox’s temporary space and workspace size limit, with help and limits', async () => {
    await renderPage()
    const sandbox = screen.getByRole('region', { name: 'Sandbox' })
    const tmpfs = within(sandbox).getByLabelText('Temporary space') as HTMLInputElement
    const workspace = within(sandbox).getByLabelText('Workspace size limit') as HTMLInputElement
    expect(tmpfs.value).toBe(String(defaultSettings().sandbox.tmpfsMb))
    expect(workspace.value).toBe(String(defaultSettings().sandbox.maxWorkspaceGb))
    expect(tmpfs.getAttribute('aria-describedby')).toBeTruthy()
    expect(within(sandbox).getByText(/The size of \/tmp/)).toBeTruthy()
    expect(within(sandbox).getByText(/stops with an error when its files/)).toBeTruthy()

    fireEvent.change(tmpfs, { target: { value: '8' } })
    fireEvent.change(workspace, { target: { value: 'lots' } })
    await act(async () => fireEvent.submit(tmpfs.closest('form')!))
    expect(within(sandbox).getByText('At least 16.')).toBeTruthy()
    expect(within(sandbox).getByText('Enter a number.')).toBeTruthy()
    expect(called('settings.update')).toEqual([])

    fireEvent.change(tmpfs, { target: { value: '2048' } })
    fireEvent.change(workspace, { target: { value: '7.5' } })
    await act(async () => fireEvent.submit(tmpfs.closest('form')!))
    const [patch] = called('settings.update') as Record<string, Record<string, unknown>>[]
    expect(patch!.sandbox).toMatchObject({ tmpfsMb: 2048, maxWorkspaceGb: 7.5 })
    expect(await screen.findByText('Saved.')).toBeTruthy()
  })

  it('shows the engine’s field errors next to the field', async () => {
    fake.handlers['settings.update'] = () =>
      Promise.resolve({ ok: false, error: { kind: 'invalid_input', message: 'model: Unknown model name' } })
    await renderPage()
    fireEvent.change(screen.getByRole('textbox', { name: 'Model' }), { target: { value: 'no-such-model' } })
    await act(async () => fireEvent.submit(screen.getByRole('textbox', { name: 'Model' }).closest('form')!))
    expect(screen.getByText('Unknown model name')).toBeTruthy()
    fake.handlers['settings.update'] = (input) => ok({ ...defaultSettings(), ...(input as object) })
  })

  it('builds the agent image with a progress bar fed by image events', async () => {
    fake.handlers['system.status'] = () =>
      ok(
        reachableStatus({
          image: { tag: 'codex-sys/agent:1', baseImage: 'debian', present: false, building: false },
        }),
      )
    await systemStore().refresh()
    let finish: () => void = () => {}
    fake.handlers['system.buildImage'] = () =>
      new Promise((resolve) => (finish = () => resolve({ ok: true, value: { tag: 'codex-sys/agent:1' } })))
    await renderPage()
    const image = screen.getByRole('region', { name: 'Agent image' })
    expect(within(image).getByText('Not built yet')).toBeTruthy()
    await act(async () => fireEvent.click(within(image).getByRole('button', { name: 'Build' })))
    await act(async () =>
      fake.emit({ kind: 'image', progress: { line: 'Step 3/7 : RUN apt-get install', ratio: 0.5 } }),
    )
    const bar = within(image).getByRole('progressbar')
    expect(bar.getAttribute('aria-valuenow')).toBe('50')
    expect(within(image).getAllByText('Step 3/7 : RUN apt-get install').length).toBeGreaterThan(0)
    fake.handlers['system.status'] = () => ok(reachableStatus())
    await act(async () => finish())
    await waitFor(() => expect(within(image).getByText('Present')).toBeTruthy())
  })

  it('shows Docker’s status, and the fix when it is not reachable', async () => {
    await renderPage()
    const docker = screen.getByRole('region', { name: 'Docker' })
    expect(within(docker).getByText('Running')).toBeTruthy()
    expect(within(docker).getByText('20.10.24')).toBeTruthy()
    fake.handlers['system.status'] = () =>
      ok(
        reachableStatus({
          docker: {
            reachable: false,
            error: { kind: 'docker_unavailable', message: 'Docker is not running.', hint: 'Start it.' },
          },
        }),
      )
    await act(async () => fireEvent.click(within(docker).getByRole('button', { name: 'Check again' })))
    expect(within(docker).getByText('Not reachable')).toBeTruthy()
    expect(within(docker).getByText('Docker is not running.')).toBeTruthy()
    expect(within(docker).getByText('sudo systemctl enable --now docker')).toBeTruthy()
    fake.handlers['system.status'] = () => ok(reachableStatus())
  })

  it('edits the network: each phase’s default, the registries preset, the CA bundle path', async () => {
    await renderPage()
    const network = screen.getByRole('region', { name: 'Network' })
    const setup = within(network).getByRole('combobox', { name: 'Setup network' }) as HTMLSelectElement
    const agent = within(network).getByRole('combobox', { name: 'Agent network' }) as HTMLSelectElement
    expect(setup.value).toBe('registries')
    expect(agent.value).toBe('off')
    const registries = within(network).getByRole('textbox', {
      name: 'Package registries',
    }) as HTMLTextAreaElement
    expect(registries.value.split('\n')).toEqual([...REGISTRY_HOSTS])
    expect(within(network).getByText(new RegExp(`${REGISTRY_HOSTS.length} hosts, one per line`))).toBeTruthy()
    const reset = within(network).getByRole('button', { name: 'Reset to the preset' }) as HTMLButtonElement
    expect(reset.disabled).toBe(true)
    expect(within(network).getByText(/TLS-inspecting proxy/)).toBeTruthy()
    // The old switch is gone.
    expect(screen.queryByLabelText(/Network during setup/)).toBeNull()

    fireEvent.change(agent, { target: { value: 'custom' } })
    const agentHosts = within(network).getByRole('textbox', { name: 'Agent network: allowed hosts' })
    fireEvent.change(agentHosts, { target: { value: 'api.example.com, not a host!' } })
    fireEvent.change(registries, { target: { value: 'registry.npmjs.org\nnpm.corp.example\nbad_one' } })
    expect(reset.disabled).toBe(false)
    await act(async () => fireEvent.submit(setup.closest('form')!))
    expect(within(network).getByText(/Not a host pattern: “not”, “a”, “host!”/)).toBeTruthy()
    expect(within(network).getByText('Not a host pattern: “bad_one”.')).toBeTruthy()
    expect(called('settings.update')).toEqual([])

    fireEvent.change(agentHosts, { target: { value: 'api.example.com' } })
    fireEvent.change(registries, { target: { value: 'registry.npmjs.org\nNPM.corp.example\n' } })
    fireEvent.click(within(network).getAllByRole('checkbox', { name: /Read-only/ })[0]!)
    fireEvent.change(within(network).getByLabelText('Extra CA certificates'), {
      target: { value: ' /etc/ssl/certs/corp.pem ' },
    })
    await act(async () => fireEvent.submit(setup.closest('form')!))
    const [patch] = called('settings.update') as Record<string, unknown>[]
    expect(patch!.network).toEqual({
      setup: { mode: 'registries', hosts: [], readOnly: true },
      agent: { mode: 'custom', hosts: ['api.example.com'], readOnly: false },
      registries: ['registry.npmjs.org', 'npm.corp.example'],
      caBundlePath: '/etc/ssl/certs/corp.pem',
    })
    expect(await screen.findByText('Saved.')).toBeTruthy()

    // Back to the preset; an empty path clears the setting.
    fireEvent.click(within(network).getByRole('button', { name: 'Reset to the preset' }))
    expect(registries.value.split('\n')).toEqual([...REGISTRY_HOSTS])
    fireEvent.change(within(network).getByLabelText('Extra CA certificates'), { target: { value: '' } })
    await act(async () => fireEvent.submit(setup.closest('form')!))
    const last = called('settings.update').at(-1) as { network: Record<string, unknown> }
    expect(last.network.registries).toEqual([...REGISTRY_HOSTS])
    expect(last.network.caBundlePath).toBeNull()
  })
})
