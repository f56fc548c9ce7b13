import { remoteEnginesSchema, type RemoteEngine } from '../../../../shared/engines'
import { humanizeIssue } from '../../lib/errors'

/** The Add / Edit engine form as it holds its fields (text for the slots, so a half-typed value stays). */
export interface EngineDraft {
  name: string
  id: string
  /** Set once the user typed an id: the name no longer rewrites it. */
  idEdited: boolean
  host: string
  certDir: string
  slots: string
  enabled: boolean
}

export type EngineField = 'name' | 'id' | 'host' | 'certDir' | 'slots'
export type EngineErrors = Partial<Record<EngineField, string>>

export const emptyEngineDraft = (): EngineDraft => ({
  name: '',
  id: '',
  idEdited: false,
  host: '',
  certDir: '',
  slots: '2',
  enabled: true,
})

export function draftOfEngine(engine: RemoteEngine): EngineDraft {
  return {
    name: engine.name,
    id: engine.id,
    idEdited: true,
    host: engine.host,
    certDir: engine.certDir ?? '',
    slots: String(engine.maxConcurrentTasks),
    enabled: engine.enabled,
  }
}

/** "Build box #2" → "build-box-2": what the id schema accepts, from a name. */
export function idFromName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 32)
    .replace(/-+$/, '')
}

/** Whether the address is a TLS one: only those need (and show) the certificate folder. */
export const needsCertificates = (host: string): boolean => host.trim().startsWith('tcp://')

/** The draft after the user typed `value` into `field` (the name carries the id until the id is typed). */
export function editDraft(draft: EngineDraft, field: EngineField, value: string): EngineDraft {
  if (field === 'name') return { ...draft, name: value, id: draft.idEdited ? draft.id : idFromName(value) }
  if (field === 'id') return { ...draft, id: value, idEdited: true }
  return { ...draft, [field]: value }
}

const FIELD_OF_KEY: Record<string, EngineField> = {
  name: 'name',
  id: 'id',
  host: 'host',
  certDir: 'certDir',
  maxConcurrentTasks: 'slots',
}

/** An engine of the draft, unchecked: what the schema is asked about. */
function engineOfDraft(draft: EngineDraft, slots: number): Record<string, unknown> {
  const tls = needsCertificates(draft.host)
  return {
    id: draft.id.trim(),
    name: draft.name,
    host: draft.host,
    ...(tls && draft.certDir.trim() ? { certDir: draft.certDir } : {}),
    maxConcurrentTasks: slots,
    enabled: draft.enabled,
  }
}

/** Maps `engines.<index>.<key>` style paths (from the schema or the engine) to the draft's fields. */
export function errorsAt(byPath: Record<string, string>, index: number, prefix = ''): EngineErrors {
  const out: EngineErrors = {}
  for (const [path, message] of Object.entries(byPath)) {
    if (prefix && !path.startsWith(prefix)) continue
    const [at, key] = path.slice(prefix.length).split('.')
    const field = key === undefined ? undefined : FIELD_OF_KEY[key]
    if (at === String(index) && field) out[field] ??= message
  }
  return out
}

/**
 * The whole `engines` array with the draft added (`index` = the list's length) or put in place of the one
 * at `index`, checked with the schema the engine uses; else each field's problem, or one for the list.
 */
export function enginesWithDraft(
  engines: readonly RemoteEngine[],
  draft: EngineDraft,
  index: number,
): { engines?: RemoteEngine[]; errors: EngineErrors; listError?: string } {
  const slotsText = draft.slots.trim()
  const slots = slotsText === '' ? Number.NaN : Number(slotsText)
  const candidate = [...engines.slice(0, index), engineOfDraft(draft, slots), ...engines.slice(index + 1)]
  const parsed = remoteEnginesSchema.safeParse(candidate)
  const errors: EngineErrors = Number.isFinite(slots) ? {} : { slots: 'Enter a number.' }
  if (parsed.success && !errors.slots) return { engines: parsed.data, errors }
  const byPath: Record<string, string> = {}
  let listError: string | undefined
  for (const issue of parsed.error?.issues ?? []) {
    if (issue.path.length === 0) listError ??= humanizeIssue(issue.message)
    else byPath[issue.path.join('.')] ??= humanizeIssue(issue.message)
  }
  const fields = { ...errorsAt(byPath, index), ...errors }
  // Two engines with one id: the id field is the one to change.
  if (listError && /own id/.test(listError)) return { errors: { id: listError, ...fields } }
  return { errors: fields, listError }
}

/** An address with a password in it shown without the password (Docker takes none, but one may be typed). */
export function displayAddress(host: string): string {
  return host.replace(/^([a-z]+:\/\/[^/@:]*):[^/@]*@/, '$1:•••@')
}
