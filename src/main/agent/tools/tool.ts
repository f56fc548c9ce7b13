import { z } from 'zod'
import { capToolResult } from './budget'

export interface ExecOptions {
  /** Enforced inside the container (coreutils `timeout`, SIGKILL 2 s later) and from the host as a backstop. */
  timeoutMs?: number
  cwd?: string
  stdin?: string | Buffer
  /** Output kept in memory (stdout and stderr together): head and tail, the middle dropped. */
  maxOutputBytes?: number
  signal?: AbortSignal
}

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
  truncated: boolean
}

/** Where tools run: the task's container (docker exec), or a local directory in tests. */
export interface Workspace {
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>
}

export interface ToolContext {
  workspace: Workspace
  signal?: AbortSignal
  /** Epoch ms after which the task is out of time; tools shorten their own timeouts to it. */
  deadline?: number
}

/** A JSON Schema object describing a tool's arguments. */
export type JsonSchemaObject = Record<string, unknown> & { type: 'object' }

export interface Tool {
  name: string
  description: string
  parameters: JsonSchemaObject
  /** Resolves with the text the model reads; throws ToolError for a failure the model should read. */
  run(args: unknown, ctx: ToolContext): Promise<string>
  /** When true, a successful call ends the agent's turn with the output as its summary. */
  endsTurn?: boolean
}

/** A failed tool call the model reads and can react to (bad argument, missing file, failing command). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ToolError'
  }
}

/**
 * Builds a Tool whose arguments are validated with a zod schema; bad arguments become a ToolError. Its
 * output (and a ToolError's message) is capped by the tool result budget (budget.ts).
 */
export function defineTool<S extends z.ZodObject>(def: {
  name: string
  description: string
  schema: S
  endsTurn?: boolean
  run(args: z.infer<S>, ctx: ToolContext): Promise<string>
}): Tool {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(def.schema) as Record<string, unknown>
  return {
    name: def.name,
    description: def.description,
    parameters: { ...parameters, type: 'object' },
    endsTurn: def.endsTurn,
    async run(args, ctx) {
      const parsed = def.schema.safeParse(args)
      if (!parsed.success) {
        throw new ToolError(`Invalid arguments for ${def.name}:\n${z.prettifyError(parsed.error)}`)
      }
      // Every result and every failure the model reads is held to the tool result budget.
      try {
        return capToolResult(await def.run(parsed.data, ctx))
      } catch (err) {
        if (err instanceof ToolError) throw new ToolError(capToolResult(err.message))
        throw err
      }
    },
  }
}
