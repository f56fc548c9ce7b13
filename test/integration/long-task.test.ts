import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SUMMARY_HEADER } from '../../src/main/agent/compaction'
import type { TaskEvent } from '../../src/shared/events'
import { requireDocker } from '../support/docker'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ChatRequest, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'

const WINDOW = 14_000
const STEPS = 10
const FACT = 'FACT-OTTER: the config lives in etc/otter.toml'
const text = (req: ChatRequest): string => JSON.stringify(req.messages)

/** Each step prints ~9 KB (its own marker first); the summaries carry the facts in the history they are sent. */
function script(): (req: ChatRequest) => ScriptStep {
  let steps = 0
  return (req) => {
    if (req.tools === undefined) {
      const facts = text(req).includes('FACT-OTTER') ? FACT : 'none'
      return { text: `Task: print the rounds.\nDone: ${steps} rounds.\nLearned: ${facts}\nPlan: go on.` }
    }
    const last = req.messages.at(-1)
    if (last?.role === 'user' && String(last.content).includes('one more round')) {
      return {
        toolCalls: [
          { name: 'finish', args: { summary: `Follow-up done. ${text(req).includes(FACT) ? FACT : ''}` } },
        ],
      }
    }
    const k = ++steps
    if (k > STEPS) return { toolCalls: [{ name: 'finish', args: { summary: 'All rounds printed.' } }] }
    const first = k === 1 ? `echo '${FACT}'; ` : ''
    return { toolCalls: [{ name: 'shell', args: { command: `${first}echo round-${k}; seq 100000 101500` } }] }
  }
}

describe('a long task on the real engine, against a server enforcing its context window', () => {
  it('compacts (timeline and agent.log show it), never overflows, and the follow-up starts from the compacted history', async () => {
    await requireDocker()
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const model = await startModelServer(script(), { contextWindow: WINDOW })
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      settings: { limits: { contextWindow: WINDOW } },
    })
    const events: TaskEvent[] = []
    engine.subscribe((e) => events.push(e))
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'print the rounds',
      })
      await waitForStatus(engine, id, ['review'])
      expect(engine.store.get(id).summary).toBe('All rounds printed.')
      const compactions = events.filter((e) => e.taskId === id && e.type === 'compaction')
      expect(compactions.some((e) => e.type === 'compaction' && e.summary.includes(FACT))).toBe(true)
      expect(model.sizes.filter((s) => s.refused)).toEqual([])
      // No note about an unknown window: Settings named it.
      expect(JSON.stringify(events)).not.toContain('Unknown context window')

      const log = (await engine.artifact(id, 'agent.log')) ?? ''
      expect(log).toMatch(/context compacted: \d+k → \d+k tokens \(summarized/)
      expect(log).toContain(`    Learned: ${FACT}`)
      const saved = (await engine.store.readArtifact(id, 'conversation.json')) ?? ''
      expect(saved).toContain(SUMMARY_HEADER)
      expect(saved).not.toContain('round-1\\n')

      // The follow-up's first request is the compacted history plus the follow-up.
      const before = model.requests.length
      await engine.followUp(id, 'one more round')
      await waitForStatus(engine, id, ['review'])
      const followUp = model.requests[before]!.body
      expect(text(followUp)).toContain(SUMMARY_HEADER)
      expect(text(followUp)).not.toContain('round-1\\n')
      expect(engine.store.get(id).summary).toContain(FACT)
      // The summary calls' tokens count in the task's usage; steps count only the agent's calls.
      const served = model.sizes.reduce((sum, s) => sum + s.tokens, 0)
      expect(engine.store.get(id).usage.promptTokens).toBe(served)
      expect(engine.store.get(id).usage.steps).toBe(STEPS + 2)
    } finally {
      await engine.close()
      await model.close()
    }
  }, 180_000)

  it('says in the timeline when the model’s window is unknown, and what it assumes', async () => {
    await requireDocker()
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const model = await startModelServer([{ toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    const events: TaskEvent[] = []
    engine.subscribe((e) => events.push(e))
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'look',
        model: 'my-finetune',
      })
      await waitForStatus(engine, id, ['review'])
      const notes = events.filter((e) => e.taskId === id && e.type === 'log' && e.stream === 'system')
      expect(notes.map((e) => (e.type === 'log' ? e.text : '')).join('')).toContain(
        'Unknown context window for model my-finetune: assuming 32k tokens',
      )
    } finally {
      await engine.close()
      await model.close()
    }
  }, 120_000)
})
