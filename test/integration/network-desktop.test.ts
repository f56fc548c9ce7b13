import { join } from 'node:path'
import Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src/shared/events'
import { REGISTRY_HOSTS } from '../../src/shared/network'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'

/**
 * The network policy on an engine that says it is Docker Desktop (its containers run in a VM whose file
 * sharing carries no unix socket): the engine picks the exec tunnel by itself, and setup in `registries`
 * mode fetches from Debian's mirror through it — the real policy proxy deciding, the container holding
 * no mount of the host's socket directory — while a host off the list is refused with a block event.
 */
class DockerDesktopLike extends Docker {
  override async info(): Promise<Record<string, unknown>> {
    const info = (await super.info()) as Record<string, unknown>
    return { ...info, OperatingSystem: 'Docker Desktop', Name: 'docker-desktop' }
  }
}

const DEBIAN_RELEASE = 'https://deb.debian.org/debian/dists/bookworm/Release'
const finish: ScriptStep = { toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }

describe('the network policy on Docker Desktop', () => {
  it('carries a registries setup over the exec tunnel: allowed fetches work, others are blocked', async () => {
    const root = await tempDir()
    const model = await startModelServer([finish])
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      docker: new DockerDesktopLike(),
      settings: { network: { registries: REGISTRY_HOSTS.filter((h) => h !== 'registry.npmjs.org') } },
    })
    try {
      const repo = join(root, 'repo')
      await writeFiles(repo, {
        'a.txt': 'a\n',
        'setup.sh': [
          'echo "mounts: $(grep -c codex-net /proc/mounts)"',
          `curl -sSf ${DEBIAN_RELEASE} | grep -m1 '^Origin:'`,
          'curl -sS -o /dev/null https://registry.npmjs.org/is-number 2>&1 | tail -1',
          'echo setup-done',
          '',
        ].join('\n'),
      })
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'Look.' })
      await waitForStatus(engine, id, ['review'], 240_000)
      const log = (await engine.store.readArtifact(id, 'setup.log')) ?? ''
      expect(log).toContain('mounts: 0')
      expect(log).toContain('Origin: Debian')
      expect(log).toMatch(/403|CONNECT tunnel failed/)
      expect(log).toContain('setup-done')
      const blocked = (await engine.events(id)).filter(
        (e): e is Extract<TaskEvent, { type: 'network_blocked' }> => e.type === 'network_blocked',
      )
      expect(blocked).toEqual([
        expect.objectContaining({ phase: 'setup', host: 'registry.npmjs.org', port: 443 }),
      ])
    } finally {
      await engine.close()
      await model.close()
    }
  }, 300_000)
})
