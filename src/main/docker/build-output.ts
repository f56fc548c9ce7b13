/** Parsing of the engine's `/build` JSON stream (classic builder), kept apart so it is easy to test. */

export interface BuildEvent {
  /** Human-readable lines this event adds to the log (may be empty). */
  lines: string[]
  /** Set when the event reports a failed build. */
  error?: string
  /** Set when a `Step N/M` line gives a position in the build (0..1). */
  ratio?: number
}

const STEP = /^Step (\d+)\/(\d+) :/

/** Progress of a `Step N/M : …` line: the share of steps finished before this one starts. */
export function stepRatio(line: string): number | undefined {
  const m = STEP.exec(line.trim())
  if (!m) return undefined
  const n = Number(m[1])
  const total = Number(m[2])
  if (!(total > 0) || n < 1) return undefined
  return Math.min(1, (n - 1) / total)
}

/** One JSON object of the build stream → log lines, error and step ratio. */
export function parseBuildEvent(raw: unknown): BuildEvent {
  const event: BuildEvent = { lines: [] }
  if (!raw || typeof raw !== 'object') return event
  const obj = raw as Record<string, unknown>
  const detail = obj.errorDetail as { message?: unknown } | undefined
  if (typeof obj.error === 'string' || typeof detail?.message === 'string') {
    const message = typeof detail?.message === 'string' ? detail.message : String(obj.error)
    event.error = message.trim()
    event.lines.push(event.error)
    return event
  }
  if (typeof obj.stream === 'string') {
    for (const line of obj.stream.split(/\r?\n/)) {
      const text = line.trimEnd()
      if (!text) continue
      event.lines.push(text)
      const ratio = stepRatio(text)
      if (ratio !== undefined) event.ratio = ratio
    }
  } else if (typeof obj.status === 'string') {
    // Pull progress of a missing base image: keep the status, drop the progress bars.
    const id = typeof obj.id === 'string' ? `${obj.id}: ` : ''
    event.lines.push(`${id}${obj.status}`)
  }
  return event
}

/**
 * Splits a byte stream of newline-delimited JSON into objects; calls `onObject` for each one.
 * Returns a feeder; call it with `null` at the end to flush what is left.
 */
export function jsonLineSplitter(onObject: (obj: unknown) => void): (chunk: Buffer | string | null) => void {
  let pending = ''
  const emit = (line: string): void => {
    const text = line.trim()
    if (!text) return
    try {
      onObject(JSON.parse(text))
    } catch {
      onObject({ stream: text })
    }
  }
  return (chunk) => {
    if (chunk === null) {
      emit(pending)
      pending = ''
      return
    }
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    let nl = pending.indexOf('\n')
    while (nl >= 0) {
      emit(pending.slice(0, nl))
      pending = pending.slice(nl + 1)
      nl = pending.indexOf('\n')
    }
  }
}

/** Whether a build error means the base image could not be found or pulled. */
export function isMissingBaseImageError(message: string): boolean {
  return /pull access denied|manifest unknown|not found: manifest|repository does not exist|no such image|failed to resolve|error pulling image|dial tcp|lookup .* (no such host|server misbehaving)|i\/o timeout|TLS handshake timeout|Get "https?:\/\//i.test(
    message,
  )
}

/** ANSI colour codes (the engine wraps a step's stderr in them). */
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g

/**
 * The engine sends a RUN step's output in whatever pieces it read — stderr a few bytes at a time, each
 * wrapped in colour codes — so an error would show a character per line. This joins consecutive
 * `stream` objects into whole lines (colour codes removed) before `onObject` sees them; call it with
 * `null` at the end to flush a last partial line.
 */
export function wholeStreamLines(onObject: (obj: unknown) => void): (obj: unknown) => void {
  let partial = ''
  const flush = (): void => {
    if (partial) onObject({ stream: partial })
    partial = ''
  }
  return (obj) => {
    if (obj === null) return flush()
    const o = obj as Record<string, unknown> | undefined
    if (o && typeof o.stream === 'string' && Object.keys(o).length === 1) {
      const text = partial + o.stream.replace(SGR, '')
      const cut = text.lastIndexOf('\n')
      partial = cut < 0 ? text : text.slice(cut + 1)
      if (cut >= 0) onObject({ stream: text.slice(0, cut + 1) })
      return
    }
    flush()
    onObject(obj)
  }
}
