import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs'

/** What is kept in memory per file while its disk refuses writes; older text beyond it is dropped (counted). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024
const TAIL_CHUNK = 64 * 1024

export type AppendResult = { ok: true } | { ok: false; error: unknown }

/**
 * Appends whole lines to files, never throwing: a write the disk refuses is undone (the file is cut back
 * to where it was, so no half line stays) and its text is kept, in order, to be written before the next
 * line or by `flushAll()` once there is space again. For a file of whole lines (`wholeLines`), the first
 * append in this process first cuts off a half line a crash left at its end. Readers see what is pending
 * through `pendingText`.
 */
export class LineAppender {
  private readonly pending = new Map<string, string[]>()
  private readonly pendingBytes = new Map<string, number>()
  private readonly dropped = new Map<string, number>()
  private readonly repaired = new Set<string>()

  constructor(private readonly wholeLines: (path: string) => boolean = () => false) {}

  append(path: string, text: string): AppendResult {
    const queue = this.pending.get(path)
    if (queue) {
      this.keep(path, text)
      return this.flush(path)
    }
    try {
      this.repairOnce(path)
      appendWhole(path, text)
      return { ok: true }
    } catch (error) {
      this.keep(path, text)
      return { ok: false, error }
    }
  }

  /** Writes what is pending for `path`, in one append; it stays pending when the disk still refuses. */
  flush(path: string): AppendResult {
    const queue = this.pending.get(path)
    if (!queue) return { ok: true }
    try {
      this.repairOnce(path)
      appendWhole(path, queue.join(''))
      this.pending.delete(path)
      this.pendingBytes.delete(path)
      return { ok: true }
    } catch (error) {
      return { ok: false, error }
    }
  }

  /** Paths whose pending text was written now. */
  flushAll(): string[] {
    return [...this.pending.keys()].filter((path) => this.flush(path).ok)
  }

  hasPending(path?: string): boolean {
    return path === undefined ? this.pending.size > 0 : this.pending.has(path)
  }

  pendingText(path: string): string {
    return this.pending.get(path)?.join('') ?? ''
  }

  /** Lines of `path` dropped because too much was pending (then forgotten: they are reported once). */
  takeDropped(path: string): number {
    const count = this.dropped.get(path) ?? 0
    this.dropped.delete(path)
    return count
  }

  private keep(path: string, text: string): void {
    const queue = this.pending.get(path) ?? []
    this.pending.set(path, queue)
    queue.push(text)
    let bytes = (this.pendingBytes.get(path) ?? 0) + text.length
    while (bytes > MAX_PENDING_BYTES && queue.length > 1) {
      bytes -= queue.shift()!.length
      this.dropped.set(path, (this.dropped.get(path) ?? 0) + 1)
    }
    this.pendingBytes.set(path, bytes)
  }

  private repairOnce(path: string): void {
    if (this.repaired.has(path)) return
    if (this.wholeLines(path)) cutPartialLine(path)
    this.repaired.add(path)
  }
}

/** Appends `text` whole or not at all: on failure the file is cut back to its size before. */
function appendWhole(path: string, text: string): void {
  const fd = openSync(path, 'a')
  try {
    const before = fstatSync(fd).size
    const data = Buffer.from(text, 'utf8')
    try {
      for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done)
    } catch (err) {
      ftruncateSync(fd, before) // cutting back needs no space
      throw err
    }
  } finally {
    closeSync(fd)
  }
}

/** Cuts a file back to just after its last newline (a line a crash cut short); a missing file is fine. */
export function cutPartialLine(path: string): void {
  let fd: number
  try {
    fd = openSync(path, 'r+')
  } catch {
    return
  }
  try {
    const size = fstatSync(fd).size
    const end = lastNewlineEnd(fd, size)
    if (end < size) ftruncateSync(fd, end)
  } finally {
    closeSync(fd)
  }
}

/** The offset just after the file's last '\n' (0 when it has none). */
function lastNewlineEnd(fd: number, size: number): number {
  const chunk = Buffer.alloc(TAIL_CHUNK)
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - TAIL_CHUNK)
    const read = readSync(fd, chunk, 0, end - start, start)
    const at = chunk.subarray(0, read).lastIndexOf(0x0a)
    if (at >= 0) return start + at + 1
    end = start
  }
  return 0
}
