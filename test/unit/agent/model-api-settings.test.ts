import { describe, expect, it } from 'vitest'
import { modelCallOptions } from '../../../src/main/agent/model-call'
import { defaultSettings, resolveModelApi, settingsPatchSchema } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'
import { harness } from './harness'

describe('which wire API an endpoint uses', () => {
  it('auto: the Responses API on api.openai.com (the default), Chat Completions on every other server', () => {
    expect(resolveModelApi({ modelApi: 'auto' })).toEqual({ api: 'responses', auto: true })
    expect(resolveModelApi({ modelApi: 'auto', baseUrl: 'https://api.openai.com/v1' }).api).toBe('responses')
    for (const other of [
      'http://localhost:11434/v1',
      'http://127.0.0.1:8000/v1',
      'https://llm.example.com/v1',
    ])
      expect(resolveModelApi({ modelApi: 'auto', baseUrl: other }).api).toBe('chat')
    expect(resolveModelApi({ modelApi: 'responses', baseUrl: 'http://localhost:1234/v1' })).toEqual({
      api: 'responses',
      auto: false,
    })
    expect(resolveModelApi({ modelApi: 'chat' }).api).toBe('chat')
  })

  it('a task’s model options: its effort over Settings’, the idle timeout in ms; nothing sent when unset', () => {
    const settings = defaultSettings()
    expect(settings).toMatchObject({ modelApi: 'auto', streamIdleSeconds: 60 })
    expect(settings.reasoningEffort).toBeUndefined()
    expect(modelCallOptions(settings, {})).toEqual({ api: 'responses', streamIdleMs: 60_000 })
    const local = { ...settings, baseUrl: 'http://127.0.0.1:9/v1', reasoningEffort: 'low' as const }
    expect(modelCallOptions(local, {})).toEqual({ api: 'chat', reasoningEffort: 'low', streamIdleMs: 60_000 })
    expect(modelCallOptions(local, { reasoningEffort: 'high' }).reasoningEffort).toBe('high')
  })

  it('validates the new fields: in Settings patches and in a task submission', () => {
    expect(settingsPatchSchema.safeParse({ modelApi: 'responses', streamIdleSeconds: 5 }).success).toBe(true)
    expect(settingsPatchSchema.safeParse({ reasoningEffort: null }).success).toBe(true)
    expect(settingsPatchSchema.safeParse({ modelApi: 'grpc' }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ streamIdleSeconds: 0 }).success).toBe(false)
    const input = { source: { kind: 'folder', path: '/x' }, prompt: 'p' }
    expect(submitTaskInputSchema.parse({ ...input, reasoningEffort: 'medium' }).reasoningEffort).toBe(
      'medium',
    )
    expect(submitTaskInputSchema.safeParse({ ...input, reasoningEffort: 'extreme' }).success).toBe(false)
  })
})

describe('reasoning effort over Chat Completions', () => {
  it('is sent as reasoning_effort only when the user chose one', async () => {
    const finish = { toolCalls: [{ name: 'finish', args: { summary: 'ok' } }] }
    const h = await harness([finish, finish])
    await h.run({ stream: true, reasoningEffort: 'minimal' })
    await h.run({ stream: true })
    expect(h.server.requests.map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions'])
    expect(h.server.requests.map((r) => r.body.reasoning_effort)).toEqual(['minimal', undefined])
    expect(h.server.requests.map((r) => r.body.reasoning)).toEqual([undefined, undefined])
  })
})
