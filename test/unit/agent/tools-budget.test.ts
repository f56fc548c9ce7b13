import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTool, ToolError } from '../../../src/main/agent/tools'
import {
  CHARS_PER_TOKEN,
  capToolResult,
  estimateTokens,
  TOOL_RESULT_MAX_BYTES,
  TOOL_RESULT_MAX_TOKENS,
} from '../../../src/main/agent/tools/budget'
import { toolFailure } from '../../support/files'

const numbered = (n: number, width = 20): string =>
  Array.from({ length: n }, (_, i) => `line ${String(i + 1).padEnd(width, '.')}`).join('\n')
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

describe('the tool result budget', () => {
  it('estimates ~4 ASCII characters per token and one token per other character', () => {
    expect(CHARS_PER_TOKEN).toBe(4)
    expect(estimateTokens('x'.repeat(400))).toBe(100)
    expect(estimateTokens('漢字漢字')).toBe(4)
    expect(estimateTokens('ab😀')).toBe(2)
  })

  it('leaves a result inside the budget unchanged', () => {
    const text = numbered(100)
    expect(capToolResult(text)).toBe(text)
  })

  it('keeps the head and tail lines of a long result and says how many lines were cut', () => {
    const text = numbered(20_000)
    const capped = capToolResult(text)
    expect(estimateTokens(capped)).toBeLessThanOrEqual(TOOL_RESULT_MAX_TOKENS)
    expect(bytes(capped)).toBeLessThanOrEqual(TOOL_RESULT_MAX_BYTES)
    expect(capped.startsWith('line 1.')).toBe(true)
    expect(capped.endsWith(`line ${'20000'.padEnd(20, '.')}`)).toBe(true)
    const omitted = Number(/…(\d+) lines omitted \(~\d+ tokens; the result was over/.exec(capped)?.[1])
    const kept = capped.split('\n').length - 1
    expect(omitted + kept).toBe(20_000)
    expect(kept).toBeGreaterThan(1000)
  })

  it('caps by tokens when the text is dense in tokens but small in bytes', () => {
    const text = Array.from({ length: 3000 }, () => '漢字漢字漢字漢字漢字').join('\n') // 10 tokens, 30 bytes a line
    const capped = capToolResult(text, { maxTokens: 1000, maxBytes: 1_000_000 })
    expect(estimateTokens(capped)).toBeLessThanOrEqual(1000)
    expect(capped).toMatch(/lines omitted/)
  })

  it('cuts one enormous line in the middle, counting the characters', () => {
    const text = `${'a'.repeat(100_000)}${'z'.repeat(100_000)}`
    const capped = capToolResult(text)
    expect(bytes(capped)).toBeLessThanOrEqual(TOOL_RESULT_MAX_BYTES)
    expect(capped.startsWith('aaaa')).toBe(true)
    expect(capped.endsWith('zzzz')).toBe(true)
    const omitted = Number(/…(\d+) characters omitted/.exec(capped)?.[1])
    expect(omitted).toBeGreaterThan(150_000)
    expect(capped.replace(/\n….*…\n/, '').length + omitted).toBe(200_000)
  })

  it('applies to every tool built with defineTool, results and failures alike', async () => {
    const huge = numbered(50_000)
    const loud = defineTool({
      name: 'loud',
      description: 'test',
      schema: z.object({ fail: z.boolean() }),
      async run(args) {
        if (args.fail) throw new ToolError(huge)
        return huge
      },
    })
    const ok = await loud.run(
      { fail: false },
      { workspace: { exec: () => Promise.reject(new Error('unused')) } },
    )
    expect(bytes(ok)).toBeLessThanOrEqual(TOOL_RESULT_MAX_BYTES)
    expect(ok).toMatch(/lines omitted/)
    const failed = await toolFailure(
      loud.run({ fail: true }, { workspace: { exec: () => Promise.reject(new Error('unused')) } }),
    )
    expect(bytes(failed)).toBeLessThanOrEqual(TOOL_RESULT_MAX_BYTES)
    expect(failed).toMatch(/lines omitted/)
  })
})
