import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { eventPrinter, parseCommandLine, submitInput, type CommandLine } from '../../../src/main/cli/task'
import { parseNetworkArg } from '../../../src/shared/contract'
import type { TaskEvent, TaskEventBody } from '../../../src/shared/events'
import { defaultSettings } from '../../../src/shared/settings'

const base = ['--folder', '/srv/repo', 'add a README']

function parsed(...flags: string[]): CommandLine {
  const result = parseCommandLine([...flags, ...base])
  if (!result.ok) throw new Error(`refused: ${result.message}`)
  return result.value
}

function refused(...flags: string[]): string {
  const result = parseCommandLine([...flags, ...base])
  if (result.ok) throw new Error('accepted')
  return result.message
}

describe('the network MODE syntax', () => {
  it('takes off, registries, full, a list of host patterns (custom), and registries plus hosts', () => {
    expect(parseNetworkArg('off')).toEqual({ ok: true, value: { mode: 'off', hosts: [], readOnly: false } })
    expect(parseNetworkArg(' Registries ')).toMatchObject({ ok: true, value: { mode: 'registries' } })
    expect(parseNetworkArg('full')).toMatchObject({ ok: true, value: { mode: 'full', hosts: [] } })
    expect(parseNetworkArg('api.example.com, *.Example.org:8443,api.example.com')).toEqual({
      ok: true,
      value: { mode: 'custom', hosts: ['api.example.com', '*.example.org:8443'], readOnly: false },
    })
    expect(parseNetworkArg('registries,npm.internal.example')).toEqual({
      ok: true,
      value: { mode: 'registries', hosts: ['npm.internal.example'], readOnly: false },
    })
  })

  it('says what is wrong with a bad MODE', () => {
    const message = (text: string): string => {
      const r = parseNetworkArg(text)
      return r.ok ? 'accepted' : r.message
    }
    expect(message('')).toMatch(/No network mode given: use off, registries, full/)
    expect(message('offline')).toMatch(/Not a host pattern: "offline"/)
    expect(message('10.0.0.5')).toMatch(/Not a host pattern: "10.0.0.5"/)
    expect(message('example.com,bad_host.example')).toMatch(/Not a host pattern: "bad_host.example"/)
    expect(message('off,example.com')).toMatch(/"off" takes no hosts/)
    expect(message('custom')).toMatch(/give the hosts themselves/)
    expect(message('example.com:99999')).toMatch(/Not a host pattern/)
  })
})

describe('npm run task: the network flags', () => {
  it('leaves the network to the defaults unless asked', () => {
    const args = parsed()
    expect(args.network).toEqual({})
    const input = submitInput(args, defaultSettings())
    expect(input.ok && input.value.network).toBeUndefined()
  })

  it('sends the phases given, read-only where a proxy can enforce it', () => {
    const args = parsed('--agent-network', 'api.example.com,*.example.org', '--setup-network', 'full')
    expect(args.network).toEqual({
      setup: { mode: 'full', hosts: [], readOnly: false },
      agent: { mode: 'custom', hosts: ['api.example.com', '*.example.org'], readOnly: false },
    })
    const readOnly = submitInput(
      parsed('--read-only-network', '--agent-network', 'registries'),
      defaultSettings(),
    )
    // The setup phase was not given: its default (registries) is sent, read-only too.
    expect(readOnly.ok && readOnly.value.network).toEqual({
      setup: { mode: 'registries', hosts: [], readOnly: true },
      agent: { mode: 'registries', hosts: [], readOnly: true },
    })
    const offAgent = submitInput(parsed('--read-only-network'), defaultSettings())
    expect(offAgent.ok && offAgent.value.network).toEqual({
      setup: { mode: 'registries', hosts: [], readOnly: true },
      agent: { mode: 'off', hosts: [], readOnly: false },
    })
  })

  it('refuses a bad MODE, a missing value, and read-only with nothing proxied', () => {
    expect(refused('--setup-network', 'everything')).toMatch(
      /^--setup-network: Not a host pattern: "everything"/,
    )
    expect(refused('--agent-network', 'off,api.example.com')).toMatch(
      /^--agent-network: "off" takes no hosts/,
    )
    expect(parseCommandLine(['add a README', '--folder', '/srv/repo', '--agent-network'])).toMatchObject({
      ok: false,
      message: expect.stringMatching(/--agent-network/),
    })
    const none = submitInput(
      parsed('--read-only-network', '--setup-network', 'off', '--agent-network', 'full'),
      defaultSettings(),
    )
    expect(none).toMatchObject({ ok: false, message: expect.stringMatching(/^--read-only-network: /) })
  })

  it('exits 2 with the error and the usage on a bad MODE; --help explains MODE', async () => {
    const run = promisify(execFile)
    const cli = resolve('src/main/cli/task.ts')
    const tsx = resolve('node_modules/.bin/tsx')
    const bad = await run(tsx, [cli, '--folder', '.', '--agent-network', 'nope', 'task']).catch(
      (err: { code: number; stderr: string }) => err,
    )
    expect(bad).toMatchObject({ code: 2 })
    expect((bad as { stderr: string }).stderr).toMatch(/^--agent-network: Not a host pattern: "nope"/)
    expect((bad as { stderr: string }).stderr).toMatch(/Usage: npm run task/)
    const help = await run(tsx, [cli, '--help'])
    expect(help.stdout).toMatch(/--setup-network MODE/)
    expect(help.stdout).toMatch(/--agent-network MODE/)
    expect(help.stdout).toMatch(/--read-only-network/)
    expect(help.stdout).toMatch(/MODE: off \(no network\), registries/)
  }, 30_000)
})

describe('npm run task: what it prints', () => {
  const at = '2024-01-01T12:00:00.000Z'
  const events = (bodies: TaskEventBody[]): TaskEvent[] =>
    bodies.map((body, seq) => ({ ...body, taskId: 't', seq, at }) as TaskEvent)

  it('prints setup output as it streams, indented, and ends a partial line before the next event', () => {
    const out: string[] = []
    const print = eventPrinter((text) => out.push(text), { json: false })
    const stream = events([
      { type: 'status', status: 'setting_up' },
      { type: 'log', stream: 'setup', text: 'npm ci\nadded 1' },
      { type: 'log', stream: 'setup', text: '2 packages\n' },
      { type: 'log', stream: 'setup', text: 'waiting \x1b[2K' },
      { type: 'status', status: 'running' },
    ])
    print(stream[0]!)
    print(stream[1]!)
    // Each chunk is written when it comes, not when setup ends.
    expect(out.join('')).toBe('12:00:00 status → setting_up\n    npm ci\n    added 1')
    for (const event of stream.slice(2)) print(event)
    expect(out.join('')).toBe(
      '12:00:00 status → setting_up\n    npm ci\n    added 12 packages\n    waiting ␛[2K\n12:00:00 status → running\n',
    )
  })

  it('prints a blocked request, and the engine’s notes', () => {
    const out: string[] = []
    const print = eventPrinter((text) => out.push(text), { json: false })
    for (const event of events([
      {
        type: 'network_blocked',
        phase: 'agent',
        host: 'registry.example.org',
        port: 443,
        method: 'CONNECT',
        rule: 'not in this task’s allowlist',
      },
      {
        type: 'network_blocked',
        phase: 'setup',
        host: 'deb.debian.org',
        port: 80,
        rule: 'read-only: POST is not allowed',
        count: 3,
      } as TaskEventBody,
      { type: 'log', stream: 'system', text: 'Allowed for this task: registry.example.org' },
    ]))
      print(event)
    expect(out.join('')).toBe(
      '12:00:00 [agent] Blocked: registry.example.org:443 — not in this task’s allowlist (CONNECT)\n' +
        '12:00:00 [setup] Blocked: deb.debian.org:80 — read-only: POST is not allowed (3 times)\n' +
        '12:00:00 Allowed for this task: registry.example.org\n',
    )
  })

  it('prints setup output as JSON lines with --json', () => {
    const out: string[] = []
    eventPrinter((text) => out.push(text), { json: true })(
      events([{ type: 'log', stream: 'setup', text: 'npm ci\n' }])[0]!,
    )
    expect(JSON.parse(out.join(''))).toMatchObject({ type: 'log', stream: 'setup', text: 'npm ci\n' })
  })
})
