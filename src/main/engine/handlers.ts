import type { z } from 'zod'
import { calls, type CallName, type CallOutputs } from '../../shared/contract'
import type { Result } from '../../shared/errors'
import { toErrorData } from '../errors'
import type { TaskEngine } from './task-engine'

type Handlers = { [N in CallName]: (input: z.output<(typeof calls)[N]>) => Promise<CallOutputs[N]> }

/** The engine's side of every call in the contract; each transport (IPC, HTTP) binds these. */
export function createHandlers(engine: TaskEngine): Handlers {
  return {
    'tasks.submit': (input) => engine.submit(input),
    'tasks.list': async () => engine.list(),
    'tasks.get': async ({ id }) => engine.get(id),
    'tasks.cancel': ({ id }) => engine.cancel(id),
    'tasks.followUp': ({ id, prompt }) => engine.followUp(id, prompt),
    'tasks.events': ({ id, afterSeq }) => engine.events(id, afterSeq),
    'tasks.diff': ({ id }) => engine.diff(id),
  }
}

/** Validates raw input against the contract, runs the handler, and never throws: errors become data. */
export async function invokeCall<N extends CallName>(
  handlers: Handlers,
  name: N,
  rawInput: unknown,
): Promise<Result<CallOutputs[N]>> {
  const schema = calls[name]
  if (!schema) return { ok: false, error: { kind: 'invalid_input', message: `Unknown call ${String(name)}` } }
  const parsed = schema.safeParse(rawInput ?? {})
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
    return { ok: false, error: { kind: 'invalid_input', message } }
  }
  try {
    const handler = handlers[name] as (input: unknown) => Promise<CallOutputs[N]>
    return { ok: true, value: await handler(parsed.data) }
  } catch (err) {
    return { ok: false, error: toErrorData(err) }
  }
}
