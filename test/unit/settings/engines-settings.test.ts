import { describe, expect, it } from 'vitest'
import { configuredEngines } from '../../../src/shared/engines'
import { defaultSettings, settingsPatchSchema, settingsSchema } from '../../../src/shared/settings'

const box = { id: 'build-box', name: 'Build box', host: 'ssh://me@build-box' }

describe('Settings → Engines', () => {
  it('has the local engine only by default, mounting or copying as Docker → Workspace says', () => {
    expect(configuredEngines(defaultSettings())).toEqual([
      {
        id: 'local',
        name: 'This computer',
        host: undefined,
        limit: 2,
        enabled: true,
        workspace: 'auto',
        remote: false,
      },
    ])
  })

  it('lists remote engines after it, each with its own slots, always copying the workspace', () => {
    const settings = settingsSchema.parse({
      maxConcurrentTasks: 3,
      docker: { workspace: 'mount' },
      engines: [
        box,
        { id: 'tls', name: 'TLS', host: 'tcp://10.0.0.5:2376', certDir: '/certs', maxConcurrentTasks: 4 },
      ],
    })
    expect(configuredEngines(settings).map((e) => [e.id, e.limit, e.workspace, e.remote])).toEqual([
      ['local', 3, 'mount', false],
      ['build-box', 2, 'copy', true],
      ['tls', 4, 'copy', true],
    ])
  })

  it('refuses an engine named local, two with one id, a tcp engine without certificates, a socket path', () => {
    const refused = (engines: unknown[]): string[] => {
      const parsed = settingsPatchSchema.safeParse({ engines })
      return parsed.success ? [] : parsed.error.issues.map((i) => i.message)
    }
    expect(refused([{ ...box, id: 'local' }])).toEqual(['"local" names the local engine'])
    expect(refused([box, box])).toEqual(['Each engine needs its own id'])
    expect(refused([{ ...box, host: 'tcp://box:2376' }])).toEqual([
      'A tcp:// engine needs its client certificates (ca.pem, cert.pem, key.pem)',
    ])
    expect(refused([{ ...box, host: 'unix:///var/run/docker.sock' }])).toEqual([
      'A host like tcp://build-box:2376 or ssh://me@build-box',
    ])
    expect(refused([{ ...box, id: 'Box One' }])).toEqual([
      'An id of lowercase letters, digits and dashes (at most 32)',
    ])
    expect(refused([box])).toEqual([])
  })
})
