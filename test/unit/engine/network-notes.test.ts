import { afterEach, describe, expect, it, vi } from 'vitest'
import { NetworkNotes } from '../../../src/main/engine/network-notes'
import { cloneHostPatterns, networkForPrompt } from '../../../src/main/engine/phase-network'
import { watchSetupSilence } from '../../../src/main/engine/setup-watch'

const block = {
  phase: 'agent' as const,
  host: 'registry.npmjs.org',
  port: 443,
  rule: "not in this task's allowlist",
}

describe('what the agent is told about the network', () => {
  it('appends the refusals made during a tool call to its result, once per request', () => {
    const notes = new NetworkNotes()
    notes.record(block, 1000)
    notes.record(block, 2000)
    notes.record({ ...block, host: 'pypi.org' }, 2500)
    expect(notes.toolNote(3000)).toBeUndefined()
    const note = notes.toolNote(1500)!
    expect(note).toContain('refused 2 requests')
    expect(note).toContain('- Blocked: registry.npmjs.org:443 — not in this task')
    expect(note).toContain('- Blocked: pypi.org:443')
  })

  it('tells the model once that the user allowed a host', () => {
    const notes = new NetworkNotes()
    notes.allowed('registry.npmjs.org')
    expect(notes.take()).toEqual([
      'The user allowed network access to registry.npmjs.org for this task. Retry the command that needed it.',
    ])
    expect(notes.take()).toEqual([])
  })

  it('lets setup fetch from the host a Git source came from', () => {
    expect(cloneHostPatterns({ kind: 'git', url: 'https://GitHub.com/o/r.git' })).toEqual(['github.com'])
    expect(cloneHostPatterns({ kind: 'git', url: 'https://git.example.com:8443/o/r.git' })).toEqual([
      'git.example.com:8443',
    ])
    expect(cloneHostPatterns({ kind: 'git', url: 'git@github.com:o/r.git' })).toEqual(['github.com:22'])
    expect(cloneHostPatterns({ kind: 'git', url: 'http://127.0.0.1:9/o.git' })).toEqual([])
    expect(cloneHostPatterns({ kind: 'folder', path: '/x' })).toEqual([])
  })

  it('describes the agent’s network in the system prompt', () => {
    expect(networkForPrompt({ mode: 'off', hosts: [], readOnly: false }, [])).toBe('no network access')
    expect(
      networkForPrompt({ mode: 'custom', hosts: ['a.example.com'], readOnly: false }, ['b.example.com']),
    ).toContain('only to a.example.com, b.example.com')
    expect(networkForPrompt({ mode: 'registries', hosts: [], readOnly: false }, [])).toContain(
      'package registries',
    )
  })
})

describe('a setup that prints nothing', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('says what it waits on after the quiet time, again after each further one, and not once output comes', async () => {
    // The watcher's own interval on a fake clock: each 300 ms step is one or more of its checks.
    vi.useFakeTimers()
    let now = 0
    const said: string[] = []
    const watch = watchSetupSilence({
      pending: () => [{ host: 'registry.npmjs.org', port: 443, since: 5_000, state: 'waiting' }],
      say: (t) => said.push(t),
      quietMs: 1_000,
      now: () => now,
    })
    try {
      now = 900
      await vi.advanceTimersByTimeAsync(300)
      expect(said).toEqual([])
      now = 10_000
      await vi.advanceTimersByTimeAsync(300)
      expect(said).toEqual([
        'Setup has printed nothing for 10 s; it is waiting on registry.npmjs.org:443 (for 5 s).\n',
      ])
      await vi.advanceTimersByTimeAsync(300)
      expect(said, 'said once for the same stretch of silence').toHaveLength(1)
      now = 11_000
      await vi.advanceTimersByTimeAsync(300)
      expect(said).toHaveLength(2)
      watch.output()
      now = 11_500
      await vi.advanceTimersByTimeAsync(300)
      expect(said).toHaveLength(2)
    } finally {
      watch.stop()
    }
  })
})
