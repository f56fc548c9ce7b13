import { describe, expect, it } from 'vitest'
import { parseCommandLine, submitInput } from '../../../src/main/cli/task'
import { newTaskRecord } from '../../../src/main/engine/new-task'
import { defaultSettings, settingsSchema } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'

const base = ['--folder', '/srv/repo', 'add a README']

describe('npm run task -- --runtime', () => {
  it('submits the runtime asked for, and none (Settings decide) without the flag', () => {
    const codex = parseCommandLine(['--runtime', 'codex', ...base])
    if (!codex.ok) throw new Error(codex.message)
    const input = submitInput(codex.value, defaultSettings())
    expect(input.ok && input.value.runtime).toBe('codex')
    const plain = parseCommandLine(base)
    if (!plain.ok) throw new Error(plain.message)
    const without = submitInput(plain.value, defaultSettings())
    expect(without.ok && 'runtime' in without.value).toBe(false)
  })

  it('refuses an unknown runtime with the choices', () => {
    const result = parseCommandLine(['--runtime', 'claude', ...base])
    expect(result.ok).toBe(false)
    expect(!result.ok && result.message).toBe('--runtime: expected builtin or codex, got "claude".')
  })
})

describe('the task record keeps its runtime', () => {
  const submit = (extra: object) =>
    submitTaskInputSchema.parse({ source: { kind: 'folder', path: '/srv/repo' }, prompt: 'x', ...extra })

  it('takes the submitted runtime, else Settings’ default (builtin unless changed)', () => {
    expect(defaultSettings().runtime).toBe('builtin')
    expect(newTaskRecord(submit({}), defaultSettings()).runtime).toBe('builtin')
    const codexDefault = settingsSchema.parse({ ...defaultSettings(), runtime: 'codex' })
    expect(newTaskRecord(submit({}), codexDefault).runtime).toBe('codex')
    expect(newTaskRecord(submit({ runtime: 'builtin' }), codexDefault).runtime).toBe('builtin')
  })

  it('refuses a runtime that does not exist', () => {
    expect(() => submit({ runtime: 'other' })).toThrow()
    expect(() => settingsSchema.parse({ ...defaultSettings(), runtime: 'other' })).toThrow()
  })
})
