import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src/shared/events'
import { REGISTRY_HOSTS } from '../../src/shared/network'
import { openTestEngine, waitForEvent, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ChatRequest, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'

/**
 * The network policy through the real engine, Docker and the real registries (only registry hostnames are
 * probed): setup in `registries` mode installs from npm and Debian's mirror behind this machine's
 * TLS-inspecting proxy with no certificate in the repo; refusals become events and notes to the model;
 * a host the user allows applies at once.
 */
const NPM_FIXTURE = {
  'package.json':
    '{"name":"ci-fixture","version":"1.0.0","private":true,"dependencies":{"is-number":"7.0.0"}}\n',
  'package-lock.json': JSON.stringify(
    {
      name: 'ci-fixture',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'ci-fixture', version: '1.0.0', dependencies: { 'is-number': '7.0.0' } },
        'node_modules/is-number': {
          version: '7.0.0',
          integrity:
            'sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==',
          engines: { node: '>=0.12.0' },
        },
      },
    },
    null,
    2,
  ),
}

const shell = (command: string, timeout_seconds = 120): ScriptStep => ({
  toolCalls: [{ name: 'shell', args: { command, timeout_seconds } }],
})
const finish = (summary = 'Done.'): ScriptStep => ({ toolCalls: [{ name: 'finish', args: { summary } }] })
const toolOutputs = (req: ChatRequest): string[] =>
  req.messages.filter((m) => m.role === 'tool').map((m) => String(m.content))
const DEBIAN_RELEASE = 'https://deb.debian.org/debian/dists/bookworm/Release'

async function engineFor(
  script: ScriptStep[] | ((req: ChatRequest, i: number) => ScriptStep),
  settings = {},
) {
  const root = await tempDir()
  const model = await startModelServer(script)
  const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL, settings })
  return { root, model, engine, close: async () => (await engine.close(), await model.close()) }
}

describe('the network policy', () => {
  it('setup in registries mode runs npm ci and fetches from Debian over HTTPS, with no certificate in the repo', async () => {
    const { root, model, engine, close } = await engineFor([
      shell('ls node_modules; cat ~/fetched | head -c 40; echo; getent hosts deb.debian.org || echo NO-DNS'),
      finish(),
    ])
    try {
      const repo = join(root, 'repo')
      await writeFiles(repo, {
        ...NPM_FIXTURE,
        'setup.sh': `set -e\nnpm ci --no-audit --no-fund\ncurl -sSf ${DEBIAN_RELEASE} -o ~/fetched\necho setup-ok\n`,
      })
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'Look.' })
      const task = await waitForStatus(engine, id, ['review'], 240_000)
      expect(task.network).toEqual({
        setup: { mode: 'registries', hosts: [], readOnly: false },
        agent: { mode: 'off', hosts: [], readOnly: false },
      })
      const log = (await engine.store.readArtifact(id, 'setup.log')) ?? ''
      expect(log).toContain('setup-ok')
      const [probe] = toolOutputs(model.requests.at(-1)!.body)
      expect(probe).toContain('is-number')
      expect(probe).toContain('Origin: Debian')
      expect(probe).toContain('NO-DNS') // the agent phase is off
      expect((await engine.events(id)).filter((e) => e.type === 'network_blocked')).toEqual([])
    } finally {
      await close()
    }
  }, 300_000)

  it('refuses a registry removed from the list: a block event, and the reason in the tool output', async () => {
    const { root, model, engine, close } = await engineFor(
      [shell('npm view is-number version 2>&1 | tail -3'), finish()],
      {
        network: { registries: REGISTRY_HOSTS.filter((h) => h !== 'registry.npmjs.org') },
      },
    )
    try {
      const repo = join(root, 'repo')
      await writeFiles(repo, { 'a.txt': 'a\n' })
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Check a version.',
        network: { agent: { mode: 'registries', hosts: [], readOnly: false } },
      })
      await waitForStatus(engine, id, ['review'], 180_000)
      const blocked = (await engine.events(id)).filter(
        (e): e is Extract<TaskEvent, { type: 'network_blocked' }> => e.type === 'network_blocked',
      )
      expect(blocked.length).toBeGreaterThan(0)
      expect(blocked[0]).toMatchObject({ phase: 'agent', host: 'registry.npmjs.org', port: 443 })
      expect(blocked[0]!.rule).toContain('allowlist')
      const [out] = toolOutputs(model.requests.at(-1)!.body)
      expect(out).toContain('[codex-sys]')
      expect(out).toContain('Blocked: registry.npmjs.org:443')
      expect(await engine.store.readArtifact(id, 'agent.log')).toContain('Blocked: registry.npmjs.org:443')
    } finally {
      await close()
    }
  }, 240_000)

  it('custom allows exactly its hosts, and a host the user allows applies at once', async () => {
    let allowedSeen = false
    const script = (req: ChatRequest, i: number): ScriptStep => {
      const notes = req.messages.filter(
        (m) => m.role === 'user' && String(m.content).startsWith('[codex-sys]'),
      )
      if (i === 0)
        return shell(
          `curl -sSf ${DEBIAN_RELEASE} -o /dev/null && echo DEBIAN-OK; npm view is-number version 2>&1 | tail -1`,
        )
      if (i === 1) return shell('sleep 6; echo waited', 30)
      if (notes.length && !allowedSeen) {
        allowedSeen = true
        return shell('npm view is-number version')
      }
      return finish()
    }
    const { root, model, engine, close } = await engineFor(script)
    try {
      const repo = join(root, 'repo')
      await writeFiles(repo, { 'a.txt': 'a\n' })
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Fetch things.',
        network: { agent: { mode: 'custom', hosts: ['deb.debian.org'], readOnly: false } },
      })
      await waitForEvent(engine, id, (e) => e.type === 'network_blocked', 120_000)
      await waitForEvent(engine, id, (e) => e.type === 'tool_call' && e.step === 2, 120_000)
      await engine.allowHost(id, 'registry.npmjs.org')
      const task = await waitForStatus(engine, id, ['review'], 180_000)
      expect(task.allowedHosts).toEqual(['registry.npmjs.org'])
      const outputs = toolOutputs(model.requests.at(-1)!.body)
      expect(outputs[0]).toContain('DEBIAN-OK')
      expect(outputs[0]).toContain('Blocked: registry.npmjs.org:443')
      expect(allowedSeen).toBe(true)
      expect(outputs[2]).toMatch(/^Exit code: 0[\s\S]*\d+\.\d+\.\d+/)
      const note = model.requests
        .at(-1)!
        .body.messages.find((m) => String(m.content).includes('allowed network access'))
      expect(String(note?.content)).toContain('registry.npmjs.org')
    } finally {
      await close()
    }
  }, 240_000)
})
