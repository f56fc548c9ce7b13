import { describe, expect, it } from 'vitest'
import { SUMMARY_HEADER } from '../../../src/main/agent/compaction'
import { Calibration, estimatePromptTokens, estimateToolTokens } from '../../../src/main/agent/token-estimate'
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'
import { FACT, startLongTask } from './compaction-fixture'

const STEPS = 150
const WINDOW = 40_000

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

describe('a 150-step task with big tool outputs against a server enforcing a 40k window', () => {
  it('completes; compacts and says so; never sends a request over the window; the first step’s fact survives only through summaries', async () => {
    const task = await startLongTask({ steps: STEPS, serverWindow: WINDOW })
    const result = await task.run()

    expect(result.summary).toContain(FACT)
    expect(result.usage.steps).toBe(STEPS)
    expect(task.server.sizes.length).toBeGreaterThan(STEPS)
    expect(task.server.sizes.filter((s) => s.refused)).toEqual([])
    expect(Math.max(...task.server.sizes.map((s) => s.tokens))).toBeLessThanOrEqual(WINDOW)

    const compactions = task.events.filter((e) => e.type === 'compaction')
    const summarized = compactions.filter((e) => e.summary)
    expect(summarized.length).toBeGreaterThanOrEqual(3)
    expect(summarized.length).toBe(task.stats.compactionCalls)
    for (const c of compactions) expect(c.afterTokens).toBeLessThan(c.beforeTokens)
    expect(summarized.at(-1)?.summary).toContain(FACT)

    // The last request: step 1's output itself is long gone; the fact is there only inside the summary.
    const last = task.stats.last!
    const withFact = last.messages.filter((m) => typeof m.content === 'string' && m.content.includes(FACT))
    expect(withFact.map((m) => m.role)).toEqual(['user'])
    expect(String(withFact[0]?.content).startsWith(SUMMARY_HEADER)).toBe(true)
    expect(JSON.stringify(last.messages)).not.toContain('OUT-1-')
    expect(last.messages.slice(0, 2).map((m) => m.role)).toEqual(['system', 'user'])
    expect(last.messages[1]?.content).toContain('Run every check round.')

    // The usage of the summary calls counts in the task's totals (the server reports its own sizes).
    const served = task.server.sizes.reduce((sum, s) => sum + s.tokens, 0)
    expect(result.usage.promptTokens).toBe(served)

    // How close the calibrated estimate came: replay the loop's estimate on what the server received.
    const errors = calibrationErrors(
      task.server.requests.map((r) => r.body),
      task.server.sizes,
    )
    const late = errors.slice(3).map(Math.abs)
    console.log(
      `compactions: ${compactions.length} (${summarized.length} with a summary); calibrated estimate vs the ` +
        `server's count: median error ${(median(late) * 100).toFixed(1)}%, max ${(Math.max(...late) * 100).toFixed(1)}% ` +
        `(step 1, uncalibrated: ${(errors[0]! * 100).toFixed(1)}%)`,
    )
    expect(median(late)).toBeLessThan(0.05)
  }, 120_000)
})

/** For each agent request in order: (the calibrated estimate the loop made of it) / (the server's count) − 1. */
function calibrationErrors(
  bodies: Array<{ messages: unknown; tools?: unknown }>,
  sizes: Array<{ tokens: number; refused: boolean }>,
): number[] {
  const served = sizes.filter((s) => !s.refused).map((s) => s.tokens)
  const calibration = new Calibration()
  const errors: number[] = []
  bodies.forEach((body, i) => {
    if (body.tools === undefined) return
    const messages = body.messages as ChatCompletionMessageParam[]
    const raw = estimatePromptTokens(messages, estimateToolTokens(body.tools as ChatCompletionTool[]))
    const actual = served[i]!
    errors.push(calibration.apply(raw) / actual - 1)
    calibration.observe(raw, actual)
  })
  return errors
}
