import { StringDecoder } from 'node:string_decoder'

export type StreamName = 'stdout' | 'stderr'

/**
 * Demultiplexes Docker's attach/exec stream framing (8-byte header: stream type, 3 zero bytes, uint32 BE
 * length; then the payload). Returns a feeder for the raw chunks; frames of type 0 (stdin) are ignored.
 */
export function createDemuxer(
  onFrame: (stream: StreamName, payload: Buffer) => void,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0)
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    let offset = 0
    while (pending.length - offset >= 8) {
      const type = pending[offset]
      const size = pending.readUInt32BE(offset + 4)
      if (pending.length - offset - 8 < size) break
      const payload = pending.subarray(offset + 8, offset + 8 + size)
      if (type === 1) onFrame('stdout', payload)
      else if (type === 2) onFrame('stderr', payload)
      offset += 8 + size
    }
    pending = offset === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(offset))
  }
}

/**
 * Keeps at most `maxBytes` of a stream in memory: the first half and the last half. What falls in
 * between is counted and replaced, in `text()`, by one line saying how much was left out.
 */
export class HeadTailBuffer {
  private readonly headCap: number
  private readonly tailCap: number
  private readonly head: Buffer[] = []
  private headBytes = 0
  private tail: Buffer[] = []
  private tailBytes = 0
  private total = 0

  constructor(maxBytes: number) {
    const cap = Math.max(0, Math.floor(maxBytes))
    this.headCap = Math.ceil(cap / 2)
    this.tailCap = cap - this.headCap
  }

  get truncated(): boolean {
    return this.total > this.headCap + this.tailCap
  }

  get totalBytes(): number {
    return this.total
  }

  push(chunk: Buffer): void {
    this.total += chunk.length
    let rest = chunk
    if (this.headBytes < this.headCap) {
      const take = Math.min(this.headCap - this.headBytes, rest.length)
      this.head.push(Buffer.from(rest.subarray(0, take)))
      this.headBytes += take
      rest = rest.subarray(take)
    }
    if (!rest.length || this.tailCap === 0) return
    if (rest.length >= this.tailCap) {
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailCap))]
      this.tailBytes = this.tailCap
      return
    }
    this.tail.push(Buffer.from(rest))
    this.tailBytes += rest.length
    while (this.tailBytes > this.tailCap) {
      const first = this.tail[0] as Buffer
      const excess = this.tailBytes - this.tailCap
      if (first.length <= excess) {
        this.tail.shift()
        this.tailBytes -= first.length
      } else {
        this.tail[0] = first.subarray(excess)
        this.tailBytes -= excess
      }
    }
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8')
    const tail = Buffer.concat(this.tail).toString('utf8')
    if (!this.truncated) return head + tail
    const omitted = this.total - this.headBytes - this.tailBytes
    return `${head}\n[… ${omitted} bytes of output omitted …]\n${tail}`
  }
}

/** Said once, in place of what a stream forwards past its `maxStreamedBytes`. */
export const streamedCapNote = (maxStreamedBytes: number): string =>
  `\n[… more than ${Math.round(maxStreamedBytes / (1024 * 1024))} MB of output: the rest is not shown as it comes …]\n`

/**
 * Collects an exec's two streams with a shared byte cap, forwarding decoded text as it comes. Every byte is
 * drained and counted; what is kept stays head and tail. At most `maxStreamedBytes` (both streams together)
 * is forwarded: past it, one note, then nothing more, so a flood does not flood the timeline too.
 */
export class ExecOutput {
  private readonly buffers: Record<StreamName, HeadTailBuffer>
  private readonly decoders: Record<StreamName, StringDecoder>
  private streamed = 0
  private streamStopped = false

  constructor(
    maxBytes: number,
    private readonly onOutput?: (chunk: string, stream: StreamName) => void,
    private readonly maxStreamedBytes = Number.POSITIVE_INFINITY,
  ) {
    // stdout gets most of the room; stderr is usually short but must not be lost.
    const stderrCap = Math.floor(maxBytes / 4)
    this.buffers = { stdout: new HeadTailBuffer(maxBytes - stderrCap), stderr: new HeadTailBuffer(stderrCap) }
    this.decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }
  }

  push(stream: StreamName, payload: Buffer): void {
    this.buffers[stream].push(payload)
    if (this.onOutput && !this.streamStopped) this.forward(this.onOutput, stream, payload)
  }

  private forward(
    onOutput: (chunk: string, stream: StreamName) => void,
    stream: StreamName,
    payload: Buffer,
  ): void {
    this.streamed += payload.length
    if (this.streamed > this.maxStreamedBytes) {
      this.streamStopped = true
      onOutput(streamedCapNote(this.maxStreamedBytes), stream)
      return
    }
    const text = this.decoders[stream].write(payload)
    if (text) onOutput(text, stream)
  }

  get truncated(): boolean {
    return this.buffers.stdout.truncated || this.buffers.stderr.truncated
  }

  text(stream: StreamName): string {
    return this.buffers[stream].text()
  }
}
