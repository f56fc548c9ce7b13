import { join } from 'node:path'
import Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src/shared/events'
import { requireDocker } from '../support/docker'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer } from '../support/model-server'
import { tempDir } from '../support/tmp'

/** An engine that says it cannot limit processes (a kernel or cgroup setup without the pids controller). */
class NoPidsLimitEngine extends Docker {
  override async info(): Promise<Record<string, unknown>> {
    return { ...((await super.info()) as Record<string, unknown>), PidsLimit: false }
  }
}

const systemText = (events: TaskEvent[], id: string): string =>
  events
    .filter((e) => e.taskId === id && e.type === 'log' && e.stream === 'system')
    .map((e) => (e.type === 'log' ? e.text : ''))
    .join('')

describe('sandbox limits on an engine smaller than Settings ask for', () => {
  it('runs the task with the CPUs the engine has, and says so in the timeline', async () => {
    const info = (await (await requireDocker()).info()) as { NCPU: number }
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const model = await startModelServer([
      {
        toolCalls: [
          {
            name: 'shell',
            args: {
              command: 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us',
            },
          },
        ],
      },
      { toolCalls: [{ name: 'finish', args: { summary: 'Looked.' } }] },
    ])
    // 64 CPUs: far more than this engine has (Docker refuses a container asking for more than NCPU).
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      settings: { sandbox: { cpus: 64 } },
    })
    const events: TaskEvent[] = []
    engine.subscribe((e) => events.push(e))
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'look' })
      await waitForStatus(engine, id, ['review'])
      const text = systemText(events, id)
      expect(text).toContain(`tasks run with ${info.NCPU} CPU${info.NCPU === 1 ? '' : 's'} instead of 64`)
      // The container's CPU quota per 100 ms period (cgroup v2's cpu.max, v1's cfs_quota_us): NCPU × 100000.
      const output = String(model.requests[1]!.body.messages.filter((m) => m.role === 'tool').at(-1)?.content)
      expect(output).toMatch(new RegExp(`\\b${info.NCPU * 100000}\\b`))
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('says in the timeline, once for each phase, what the engine cannot apply', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n', 'setup.sh': 'echo set-up\n' })
    const model = await startModelServer([{ toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }])
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      docker: new NoPidsLimitEngine(),
    })
    const events: TaskEvent[] = []
    engine.subscribe((e) => events.push(e))
    try {
      const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'look' })
      await waitForStatus(engine, id, ['review'])
      const said = systemText(events, id).match(/^The Docker engine cannot apply .*$/gm)
      // The setup phase's sandbox and the agent's each say it, once.
      expect(said).toEqual([expect.stringContaining("sandbox's process (pids) limit"), said?.[0]])
      expect(said?.[0]).toMatch(/: the task runs without it\. Enable the cgroup controllers/)
      expect(await engine.store.readArtifact(id, 'setup.log')).toContain('set-up')
    } finally {
      await engine.close()
      await model.close()
    }
  })
})
