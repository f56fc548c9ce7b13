// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { DropOverlay } from '../../../src/renderer/src/app/drop-overlay'
import { NewTaskPage } from '../../../src/renderer/src/features/new-task/new-task-page'
import { settingsStore } from '../../../src/renderer/src/lib/settings'
import { defaultSettings } from '../../../src/shared/settings'
import { ok } from './app-fake-api'
import { submits, useNewTaskFake } from './new-task-fixture'

useNewTaskFake()

function dropEvent(type: string, files: File[]): Event {
  const event = new Event(type, { bubbles: true, cancelable: true })
  Object.defineProperty(event, 'dataTransfer', {
    value: {
      types: ['Files'],
      files,
      items: files.map(() => ({ webkitGetAsEntry: () => null })),
      dropEffect: 'none',
    },
  })
  return event
}

describe('NewTaskPage', () => {
  it('says what is missing and does not submit', async () => {
    render(<NewTaskPage />)
    fireEvent.click(screen.getByRole('button', { name: 'Start task' }))
    expect(await screen.findByText('Describe what the agent should do.')).toBeTruthy()
    expect(screen.getByText('Choose a folder.')).toBeTruthy()
    expect(submits()).toHaveLength(0)
  })

  it('checks a Git URL inline and submits with Ctrl+Enter', async () => {
    render(<NewTaskPage />)
    fireEvent.click(screen.getByRole('tab', { name: 'Git URL' }))
    const url = screen.getByRole('textbox', { name: 'Repository URL' })
    fireEvent.change(url, { target: { value: 'ftp://example.com/repo.git' } })
    fireEvent.blur(url)
    expect(await screen.findByText('“ftp://” URLs are not supported.')).toBeTruthy()
    fireEvent.change(url, { target: { value: 'git@github.com:acme/widgets.git' } })
    expect(screen.queryByText(/not supported/)).toBeNull()
    fireEvent.change(screen.getByRole('textbox', { name: 'Branch (optional)' }), { target: { value: 'dev' } })
    const prompt = screen.getByRole('textbox', { name: 'Task' })
    fireEvent.change(prompt, { target: { value: '  add input validation to the signup form ' } })
    await act(async () => fireEvent.keyDown(prompt, { key: 'Enter', ctrlKey: true }))
    expect(submits()).toEqual([
      {
        source: { kind: 'git', url: 'git@github.com:acme/widgets.git', branch: 'dev' },
        prompt: 'add input validation to the signup form',
      },
    ])
    await waitFor(() => expect(window.location.hash).toBe('#/task/new-task-1'))
  })

  it('passes the options: title, focus files, model, time limit', async () => {
    render(<NewTaskPage />)
    // window.api is there, so this is the desktop app: the folder comes from the native dialog.
    fake.handlers['dialog.pickFolder'] = () => ok('/srv/code/shop')
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Choose folder…' })))
    expect(screen.getByText('shop')).toBeTruthy()
    fireEvent.change(screen.getByRole('textbox', { name: 'Task' }), { target: { value: 'fix the tests' } })
    fireEvent.click(screen.getByRole('button', { name: /Options/ }))
    fireEvent.change(screen.getByRole('textbox', { name: 'Title' }), { target: { value: 'Fix tests' } })
    fireEvent.change(screen.getByRole('textbox', { name: 'Focus files' }), {
      target: { value: 'src/a.ts, src/b.ts\nsrc/c.ts,,' },
    })
    fireEvent.change(screen.getByRole('textbox', { name: 'Model' }), { target: { value: 'gpt-4.1' } })
    const minutes = screen.getByRole('spinbutton', { name: 'Time limit (minutes)' })
    fireEvent.change(minutes, { target: { value: '0' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
    expect(screen.getByText('Between 1 and 1440 minutes.')).toBeTruthy()
    expect(submits()).toHaveLength(0)
    fireEvent.change(minutes, { target: { value: '10' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
    expect(submits()).toEqual([
      {
        source: { kind: 'folder', path: '/srv/code/shop' },
        prompt: 'fix the tests',
        title: 'Fix tests',
        focusFiles: ['src/a.ts', 'src/b.ts', 'src/c.ts'],
        model: 'gpt-4.1',
        limits: { timeLimitMs: 600_000 },
      },
    ])
  })

  it('takes a ZIP dropped anywhere on the window, and explains a file that is not one', async () => {
    window.location.hash = '#/settings'
    render(
      <>
        <NewTaskPage />
        <DropOverlay />
      </>,
    )
    await act(async () => window.dispatchEvent(dropEvent('dragenter', [])))
    expect(screen.getByTestId('drop-overlay')).toBeTruthy()
    await act(async () => window.dispatchEvent(dropEvent('drop', [new File(['hello'], 'notes.txt')])))
    expect(screen.queryByTestId('drop-overlay')).toBeNull()
    expect(window.location.hash).toBe('#/new')
    expect(screen.getByRole('alert').textContent).toContain('“notes.txt” is not a ZIP archive')

    const zip = new File([new Uint8Array([0x50, 0x4b, 3, 4])], 'project.zip', { type: 'application/zip' })
    await act(async () => window.dispatchEvent(dropEvent('drop', [zip])))
    expect(await screen.findByText('project.zip')).toBeTruthy()
    expect(fake.calls).toContainEqual({ name: 'fileSource', input: 'project.zip' })
    fireEvent.change(screen.getByRole('textbox', { name: 'Task' }), { target: { value: 'update the docs' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
    expect(submits()).toEqual([
      { source: { kind: 'zip', path: '/uploads/project.zip' }, prompt: 'update the docs' },
    ])
  })

  it('shows the engine’s error with its hint and next step', async () => {
    fake.handlers['tasks.submit'] = () =>
      Promise.resolve({
        ok: false,
        error: { kind: 'import_failed', message: 'The folder does not exist.', hint: 'Check the path.' },
      })
    render(<NewTaskPage />)
    fake.handlers['dialog.pickFolder'] = () => ok('/nope')
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Choose folder…' })))
    fireEvent.change(screen.getByRole('textbox', { name: 'Task' }), { target: { value: 'x' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('Import failed')
    expect(alert.textContent).toContain('The folder does not exist.')
    expect(alert.textContent).toContain('Check the path.')
    expect(screen.getByRole('button', { name: 'Choose another source' })).toBeTruthy()
  })

  describe('the network of each phase', () => {
    afterEach(async () => {
      fake.handlers['settings.get'] = () => ok(defaultSettings())
      await settingsStore().reload()
    })

    async function openOptions(): Promise<void> {
      render(<NewTaskPage />)
      fake.handlers['dialog.pickFolder'] = () => ok('/srv/code/shop')
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Choose folder…' })))
      fireEvent.change(screen.getByRole('textbox', { name: 'Task' }), { target: { value: 'add a dep' } })
      fireEvent.click(screen.getByRole('button', { name: /Options/ }))
    }
    const mode = (name: string): HTMLSelectElement =>
      screen.getByRole('combobox', { name: `${name} network` }) as HTMLSelectElement

    it('starts from the defaults in Settings and sends nothing it did not change', async () => {
      const settings = defaultSettings()
      settings.network.agent = { mode: 'custom', hosts: ['api.example.com'], readOnly: true }
      fake.handlers['settings.get'] = () => ok(settings)
      await settingsStore().reload()
      await openOptions()
      expect(mode('Setup').value).toBe('registries')
      expect(mode('Agent').value).toBe('custom')
      expect(
        (screen.getByRole('textbox', { name: 'Agent network: allowed hosts' }) as HTMLInputElement).value,
      ).toBe('api.example.com')
      expect(screen.getAllByText(/The default from Settings/)).toHaveLength(2)
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
      expect(submits()).toHaveLength(1)
      expect(submits()[0]!.network).toBeUndefined()
    })

    it('sends the phase the user changed: a custom allowlist, read-only, its hosts checked', async () => {
      await openOptions()
      expect(mode('Agent').value).toBe('off')
      expect(screen.queryByRole('textbox', { name: /Agent network:/ })).toBeNull()
      fireEvent.change(mode('Agent'), { target: { value: 'custom' } })
      const hosts = screen.getByRole('textbox', { name: 'Agent network: allowed hosts' })
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
      expect(screen.getByText('List at least one host, or choose Off.')).toBeTruthy()
      fireEvent.change(hosts, { target: { value: 'API.example.com, bad_host' } })
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
      expect(screen.getByText(/Not a host pattern: “bad_host”/)).toBeTruthy()
      expect(submits()).toHaveLength(0)
      fireEvent.change(hosts, { target: { value: 'API.example.com, *.example.org:8443' } })
      const readOnly = screen.getAllByRole('checkbox', { name: /Read-only/ })
      // Setup (registries) and agent (custom) both pass the proxy: both may be read-only.
      expect(readOnly).toHaveLength(2)
      fireEvent.click(readOnly[1]!)
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
      expect(submits()).toEqual([
        {
          source: { kind: 'folder', path: '/srv/code/shop' },
          prompt: 'add a dep',
          network: {
            agent: { mode: 'custom', hosts: ['api.example.com', '*.example.org:8443'], readOnly: true },
          },
        },
      ])
    })

    it('sends off and full without hosts, and goes back to the default on request', async () => {
      await openOptions()
      fireEvent.change(mode('Setup'), { target: { value: 'full' } })
      expect(screen.queryAllByRole('checkbox', { name: /Read-only/ })).toHaveLength(0)
      fireEvent.change(mode('Agent'), { target: { value: 'registries' } })
      fireEvent.click(screen.getAllByRole('button', { name: 'Use the default' })[1]!)
      expect(mode('Agent').value).toBe('off')
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start task' })))
      expect(submits()[0]!.network).toEqual({ setup: { mode: 'full', hosts: [], readOnly: false } })
    })
  })
})
