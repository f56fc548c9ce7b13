// @vitest-environment happy-dom
import { fake } from './app-install-fake'
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SettingsPatch } from '../../../src/shared/settings'
import { ok } from './app-fake-api'
import { BUILD_BOX, GPU_BOX, seedEngines, statusesOf } from './engines-fixture'
import { called, renderSettingsPage, resetSettingsFake } from './settings-fixture'

beforeEach(async () => {
  await resetSettingsFake()
  await seedEngines([BUILD_BOX, GPU_BOX])
})
afterEach(cleanup)

const section = (): HTMLElement => screen.getByRole('region', { name: 'Engines' })
const row = (name: string): HTMLElement => within(section()).getByRole('listitem', { name })
const updates = (): SettingsPatch[] => called('settings.update') as SettingsPatch[]
const type = (label: string, value: string): void => {
  fireEvent.change(within(section()).getByLabelText(label), { target: { value } })
}

async function renderEngines(): Promise<void> {
  await renderSettingsPage()
  await waitFor(() => expect(within(row('Build box')).getByText('1 of 2 running')).toBeTruthy())
}

describe('Settings → Engines', () => {
  it('lists every engine, this computer first, with its address, health and load', async () => {
    await renderEngines()
    const items = within(within(section()).getByRole('list', { name: 'Engines' })).getAllByRole('listitem')
    expect(items.map((li) => li.getAttribute('aria-label'))).toEqual([
      'This computer',
      'Build box',
      'GPU box',
    ])
    expect(within(row('This computer')).getByText('Docker 27.0.3')).toBeTruthy()
    expect(within(row('This computer')).getByText('0 of 2 running')).toBeTruthy()
    const build = row('Build box')
    expect(within(build).getByText('Docker 26.1.4').className).toBe('pill ok')
    // What it runs on: an arm64 build box builds its own image and keeps setup caches of its own.
    expect(within(build).getByText('linux/arm64')).toBeTruthy()
    expect(within(row('This computer')).getByText('linux/amd64')).toBeTruthy()
    expect(within(build).getByText('tcp://build-box:2376').className).toContain('mono')
    const gpu = row('GPU box')
    expect(within(gpu).getByText('Not answering').className).toBe('pill error')
    expect(within(gpu).getByText('The SSH host key of gpu is not in known_hosts')).toBeTruthy()
    expect(within(gpu).getByText('ssh dev@gpu').tagName).toBe('CODE')
    expect(within(gpu).getByText('0 of 1 running')).toBeTruthy()
    // Only remote engines can be edited or removed.
    expect(within(row('This computer')).queryByRole('button', { name: /Edit|Remove/ })).toBeNull()
    expect(within(build).getByRole('button', { name: 'Edit Build box' })).toBeTruthy()
  })

  it('an address with a password in it is listed without the password', async () => {
    await seedEngines([{ ...BUILD_BOX, host: 'tcp://ci:hunter2@build-box:2376' }])
    await renderEngines()
    expect(within(row('Build box')).getByText('tcp://ci:•••@build-box:2376')).toBeTruthy()
    expect(section().textContent).not.toContain('hunter2')
  })

  it('"Add engine" saves the whole engines array, the id derived from the name; Enter saves it too', async () => {
    await renderEngines()
    fireEvent.click(within(section()).getByRole('button', { name: 'Add engine' }))
    expect(document.activeElement).toBe(within(section()).getByLabelText('Name'))
    type('Name', 'CI runner #2')
    expect((within(section()).getByLabelText('Id') as HTMLInputElement).value).toBe('ci-runner-2')
    type('Address', 'ssh://ci@runner')
    // An ssh:// engine needs no certificates: the field is not there.
    expect(within(section()).queryByLabelText('Certificate folder')).toBeNull()
    type('Tasks at once', '3')
    const before = called('system.engines').length
    await act(async () => {
      fireEvent.keyDown(within(section()).getByLabelText('Tasks at once'), { key: 'Enter' })
    })
    expect(updates()).toEqual([
      {
        engines: [
          BUILD_BOX,
          GPU_BOX,
          {
            id: 'ci-runner-2',
            name: 'CI runner #2',
            host: 'ssh://ci@runner',
            maxConcurrentTasks: 3,
            enabled: true,
          },
        ],
      },
    ])
    await waitFor(() => expect(called('system.engines').length).toBeGreaterThan(before))
    expect(within(section()).queryByRole('group', { name: 'Add engine' })).toBeNull()
    expect(row('CI runner #2')).toBeTruthy()
  })

  it('a tcp:// engine without a certificate folder shows the schema’s message on that field and saves nothing', async () => {
    await renderEngines()
    fireEvent.click(within(section()).getByRole('button', { name: 'Add engine' }))
    type('Name', 'Edge')
    type('Id', 'edge-1')
    type('Name', 'Edge box')
    // Typed once, the id stays.
    expect((within(section()).getByLabelText('Id') as HTMLInputElement).value).toBe('edge-1')
    type('Address', 'tcp://edge:2376')
    const certs = within(section()).getByLabelText('Certificate folder')
    await act(async () => fireEvent.click(within(section()).getByRole('button', { name: 'Save engine' })))
    expect(certs.getAttribute('aria-invalid')).toBe('true')
    const error = document.getElementById(certs.getAttribute('aria-describedby')!.split(' ').pop()!)!
    expect(error.textContent).toBe(
      'A tcp:// engine needs its client certificates (ca.pem, cert.pem, key.pem)',
    )
    expect(updates()).toEqual([])

    type('Certificate folder', '/home/dev/.docker/edge')
    await act(async () => fireEvent.click(within(section()).getByRole('button', { name: 'Save engine' })))
    expect(updates()[0]!.engines![2]).toEqual({
      id: 'edge-1',
      name: 'Edge box',
      host: 'tcp://edge:2376',
      certDir: '/home/dev/.docker/edge',
      maxConcurrentTasks: 2,
      enabled: true,
    })
  })

  it('an id already taken is refused on the id field', async () => {
    await renderEngines()
    fireEvent.click(within(section()).getByRole('button', { name: 'Add engine' }))
    type('Name', 'Build box')
    type('Address', 'ssh://me@other')
    await act(async () => fireEvent.click(within(section()).getByRole('button', { name: 'Save engine' })))
    expect(within(section()).getByLabelText('Id').getAttribute('aria-invalid')).toBe('true')
    expect(within(section()).getByText('Each engine needs its own id')).toBeTruthy()
    expect(updates()).toEqual([])
  })

  it('the engine’s own refusal shows on the field it names, else as an error with its hint', async () => {
    const original = fake.handlers['settings.update']
    const refuse = (details?: Record<string, unknown>): void => {
      fake.handlers['settings.update'] = () =>
        Promise.resolve({
          ok: false as const,
          error: {
            kind: 'invalid_input' as const,
            message: 'Invalid settings: the engines could not be saved.',
            hint: 'Correct the highlighted setting and save again.',
            details,
          },
        })
    }
    try {
      await renderEngines()
      fireEvent.click(within(section()).getByRole('button', { name: 'Add engine' }))
      type('Name', 'Runner')
      type('Address', 'ssh://ci@runner')
      refuse({ issues: [{ path: ['engines', 2, 'host'], message: 'No such host here' }] })
      await act(async () => fireEvent.click(within(section()).getByRole('button', { name: 'Save engine' })))
      expect(within(section()).getByLabelText('Address').getAttribute('aria-invalid')).toBe('true')
      expect(within(section()).getByText('No such host here')).toBeTruthy()

      refuse()
      await act(async () => fireEvent.click(within(section()).getByRole('button', { name: 'Save engine' })))
      const alert = within(within(section()).getByRole('group', { name: 'Add engine' })).getByText(
        'Invalid settings: the engines could not be saved.',
      )
      expect(alert.closest('[role="alert"]')!.textContent).toContain('Correct the highlighted setting')
      // Still open, so nothing typed is lost.
      expect((within(section()).getByLabelText('Name') as HTMLInputElement).value).toBe('Runner')
    } finally {
      fake.handlers['settings.update'] = original
    }
  })

  it('Edit keeps the id and saves the engine in its place', async () => {
    await renderEngines()
    fireEvent.click(within(row('Build box')).getByRole('button', { name: 'Edit Build box' }))
    const form = within(section()).getByRole('group', { name: 'Edit Build box' })
    expect((within(form).getByLabelText('Id') as HTMLInputElement).readOnly).toBe(true)
    fireEvent.click(within(form).getByRole('checkbox', { name: /Enabled/ }))
    type('Tasks at once', '4')
    await act(async () => fireEvent.click(within(form).getByRole('button', { name: 'Save engine' })))
    expect(updates()).toEqual([
      { engines: [{ ...BUILD_BOX, maxConcurrentTasks: 4, enabled: false }, GPU_BOX] },
    ])
    // Escape closes the form unsaved.
    fireEvent.click(within(row('GPU box')).getByRole('button', { name: 'Edit GPU box' }))
    fireEvent.keyDown(within(section()).getByLabelText('Name'), { key: 'Escape' })
    expect(within(section()).queryByRole('group', { name: 'Edit GPU box' })).toBeNull()
    expect(updates()).toHaveLength(1)
  })

  it('Remove (asked once more) sends the array without the engine', async () => {
    await renderEngines()
    fireEvent.click(within(row('Build box')).getByRole('button', { name: 'Remove Build box' }))
    expect(updates()).toEqual([])
    expect(document.activeElement).toBe(within(row('Build box')).getByRole('button', { name: 'Keep' }))
    await act(async () =>
      fireEvent.click(within(row('Build box')).getByRole('button', { name: 'Remove engine' })),
    )
    expect(updates()).toEqual([{ engines: [GPU_BOX] }])
    await waitFor(() => expect(within(section()).queryByRole('listitem', { name: 'Build box' })).toBeNull())
  })

  it('the local engine’s Workspace select patches docker.workspace', async () => {
    await renderEngines()
    const select = within(row('This computer')).getByRole('combobox', {
      name: 'Workspace',
    }) as HTMLSelectElement
    expect(select.value).toBe('auto')
    expect([...select.options].map((o) => o.text)).toEqual([
      'Automatic — copy on Docker Desktop',
      'Mount the folder',
      'Copy into the engine',
    ])
    await act(async () => fireEvent.change(select, { target: { value: 'copy' } }))
    expect(updates()).toEqual([{ docker: { workspace: 'copy' } }])
  })
})

/** An IntersectionObserver the test drives: `show(false)` is the section scrolled out of view. */
function observeByHand(): { show: (onScreen: boolean) => void } {
  const watching: { callback: IntersectionObserverCallback; target: Element }[] = []
  class ObserverDouble {
    constructor(private readonly callback: IntersectionObserverCallback) {}
    observe(target: Element): void {
      watching.push({ callback: this.callback, target })
    }
    disconnect(): void {}
  }
  vi.stubGlobal('IntersectionObserver', ObserverDouble)
  return {
    show: (onScreen) => {
      const section = watching.find((w) => w.target.classList.contains('engines-section'))!
      const entry = { isIntersecting: onScreen, target: section.target } as IntersectionObserverEntry
      section.callback([entry], {} as IntersectionObserver)
    },
  }
}

const setVisibility = (state: DocumentVisibilityState): void => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state })
  document.dispatchEvent(new Event('visibilitychange'))
}

it('asks system.engines every 5 s while the section is on screen, and only then', async () => {
  const observer = observeByHand()
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  try {
    await renderEngines()
    const asks = (): number => called('system.engines').length
    fake.handlers['system.engines'] = () => ok(statusesOf([BUILD_BOX, GPU_BOX], ['task-1', 'task-2']))
    let before = asks()
    await act(async () => void vi.advanceTimersByTime(5_000))
    expect(asks()).toBe(before + 1)
    await waitFor(() => expect(within(row('Build box')).getByText('2 of 2 running')).toBeTruthy())

    // Scrolled out of view: no more asks.
    await act(async () => observer.show(false))
    before = asks()
    await act(async () => void vi.advanceTimersByTime(20_000))
    expect(asks()).toBe(before)
    // Back on screen: asked at once, then every 5 s again.
    await act(async () => observer.show(true))
    expect(asks()).toBe(before + 1)
    await act(async () => void vi.advanceTimersByTime(5_000))
    expect(asks()).toBe(before + 2)

    // A hidden window (minimised, another tab) asks nothing either.
    await act(async () => setVisibility('hidden'))
    before = asks()
    await act(async () => void vi.advanceTimersByTime(20_000))
    expect(asks()).toBe(before)
    await act(async () => setVisibility('visible'))
    expect(asks()).toBe(before + 1)

    // Gone with the page: nothing left polling.
    cleanup()
    before = asks()
    await act(async () => void vi.advanceTimersByTime(20_000))
    expect(asks()).toBe(before)
  } finally {
    setVisibility('visible')
    vi.useRealTimers()
    vi.unstubAllGlobals()
  }
})
