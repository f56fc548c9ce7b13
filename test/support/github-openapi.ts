import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

/**
 * GitHub's published OpenAPI description (@octokit/openapi, dereferenced), loaded once per process,
 * reduced to the operations the double serves. Schemas are compiled lazily with ajv + ajv-formats.
 * Each check returns a list of human-readable problems; empty means the message matches GitHub's description.
 */
export const SERVED_OPERATIONS = [
  ['get', '/user'],
  ['get', '/user/repos'],
  ['get', '/repos/{owner}/{repo}'],
  ['post', '/repos/{owner}/{repo}/forks'],
  ['get', '/repos/{owner}/{repo}/pulls'],
  ['post', '/repos/{owner}/{repo}/pulls'],
] as const

type JsonSchema = Record<string, unknown>

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: JsonSchema
}

interface Operation {
  operationId: string
  parameters?: Parameter[]
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> }
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>
}

const SPEC_URL = new URL(
  '../../node_modules/@octokit/openapi/generated/api.github.com.deref.json',
  import.meta.url,
)

let operations: Map<string, Operation> | undefined
let ajv: Ajv | undefined
const compiled = new Map<string, ValidateFunction>()

function load(): Map<string, Operation> {
  if (operations) return operations
  const spec = JSON.parse(readFileSync(SPEC_URL, 'utf8')) as {
    paths: Record<string, Record<string, Operation>>
  }
  const ops = new Map<string, Operation>()
  for (const [method, path] of SERVED_OPERATIONS) {
    const op = spec.paths[path]?.[method]
    if (!op) throw new Error(`GitHub's OpenAPI description has no ${method.toUpperCase()} ${path}`)
    ops.set(`${method} ${path}`, op)
  }
  operations = ops
  return ops
}

function validator(key: string, schema: JsonSchema): ValidateFunction {
  let fn = compiled.get(key)
  if (fn) return fn
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true })
    // ajv-formats is CommonJS: its default export arrives wrapped under ESM interop.
    const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default
    ;(addFormats ?? addFormatsModule)(ajv)
    ajv.addFormat('repo.nwo', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/)
  }
  fn = ajv.compile(schema)
  compiled.set(key, fn)
  return fn
}

function problems(fn: ValidateFunction, where: string): string[] {
  return (fn.errors ?? []).slice(0, 5).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'invalid'}`)
}

function operation(method: string, path: string): Operation {
  const op = load().get(`${method.toLowerCase()} ${path}`)
  if (!op) throw new Error(`not a served operation: ${method} ${path}`)
  return op
}

export interface RequestToCheck {
  method: string
  /** The OpenAPI path template, e.g. /repos/{owner}/{repo}. */
  path: string
  pathParams: Record<string, string>
  query: URLSearchParams
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown
}

/** Path parameters, query (strings coerced to the declared type; unknown names flagged) and JSON body. */
export function checkRequest(req: RequestToCheck): string[] {
  const op = operation(req.method, req.path)
  const out: string[] = []
  const params = op.parameters ?? []
  for (const p of params.filter((x) => x.in === 'path')) {
    const value = req.pathParams[p.name]
    if (value === undefined || value === '') out.push(`path parameter ${p.name} is missing`)
    else out.push(...checkValue(`${op.operationId}:path:${p.name}`, p.schema, value, `path.${p.name}`))
  }
  const known = new Set(params.filter((x) => x.in === 'query').map((x) => x.name))
  for (const name of new Set(req.query.keys())) {
    if (!known.has(name)) out.push(`query parameter ${name} is not in GitHub's description`)
  }
  for (const p of params.filter((x) => x.in === 'query')) {
    const value = req.query.get(p.name)
    if (value === null) {
      if (p.required) out.push(`query parameter ${p.name} is required`)
      continue
    }
    out.push(...checkValue(`${op.operationId}:query:${p.name}`, p.schema, value, `query.${p.name}`))
  }
  const bodySpec = op.requestBody?.content['application/json']
  if (!bodySpec) {
    if (req.body !== undefined) out.push('this operation takes no request body')
  } else if (req.body === undefined) {
    if (op.requestBody?.required) out.push('the request body is required')
  } else {
    const schema = bodySpec.schema
    const fn = validator(`${op.operationId}:body`, schema)
    if (!fn(req.body)) out.push(...problems(fn, 'body'))
    const props = schema.properties as Record<string, unknown> | undefined
    if (props && req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
      for (const k of Object.keys(req.body)) {
        if (!(k in props)) out.push(`body property ${k} is not in GitHub's description`)
      }
    }
  }
  return out
}

function checkValue(key: string, schema: JsonSchema, raw: string, where: string): string[] {
  const fn = validator(key, schema)
  const value = schema.type === 'integer' || schema.type === 'number' ? coerceNumber(raw) : raw
  return fn(value) ? [] : problems(fn, where)
}

function coerceNumber(raw: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
}

/**
 * A response body against the schema GitHub documents for that status. Statuses an operation does not
 * document (401 on most, rate-limit 403s) are checked against GET /user's 401 "Basic Error" schema,
 * which is the shape GitHub sends for every such error.
 */
export function checkResponse(method: string, path: string, status: number, body: unknown): string[] {
  const op = operation(method, path)
  const documented = op.responses[String(status)]
  let key = `${op.operationId}:${status}`
  let schema = documented?.content?.['application/json']?.schema
  if (!documented) {
    if (status < 400) return [`status ${status} is not documented for ${method.toUpperCase()} ${path}`]
    schema = operation('get', '/user').responses['401']?.content?.['application/json']?.schema
    key = 'basic-error'
  }
  if (!schema) return body === undefined ? [] : [`status ${status} has no body in GitHub's description`]
  const fn = validator(key, schema)
  return fn(body) ? [] : problems(fn, `response ${status}`)
}
