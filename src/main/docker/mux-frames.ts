/**
 * The frames of codex-mux (agent-image/codex-mux), the in-container end of an exec tunnel: type (1 byte),
 * channel (4 bytes), length (4 bytes), payload, big-endian. See that program's header for what each means.
 */
export const MuxFrame = { READY: 1, OPEN: 2, DATA: 3, EOF: 4, CLOSE: 5, ACK: 6 } as const
export type MuxFrameType = (typeof MuxFrame)[keyof typeof MuxFrame]

/** What either side may send of a channel before the other acknowledges it. */
export const MUX_WINDOW = 1 << 20
const HEADER = 9
/** A frame no side ever sends (the mux reads 64 KiB at a time): the stream is not codex-mux's. */
const MAX_PAYLOAD = 16 << 20

export function encodeFrame(type: MuxFrameType, channel: number, payload?: Buffer): Buffer {
  const head = Buffer.allocUnsafe(HEADER)
  head.writeUInt8(type, 0)
  head.writeUInt32BE(channel, 1)
  head.writeUInt32BE(payload?.length ?? 0, 5)
  return payload?.length ? Buffer.concat([head, payload]) : head
}

export const ackFrame = (channel: number, bytes: number): Buffer => {
  const n = Buffer.allocUnsafe(4)
  n.writeUInt32BE(bytes, 0)
  return encodeFrame(MuxFrame.ACK, channel, n)
}

/** Splits a byte stream into frames; throws on a frame no codex-mux sends. */
export function createFrameReader(
  onFrame: (type: number, channel: number, payload: Buffer) => void,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0)
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    let offset = 0
    while (pending.length - offset >= HEADER) {
      const size = pending.readUInt32BE(offset + 5)
      if (size > MAX_PAYLOAD) throw new Error(`a ${size}-byte frame: this is not codex-mux talking`)
      if (pending.length - offset - HEADER < size) break
      const type = pending.readUInt8(offset)
      const channel = pending.readUInt32BE(offset + 1)
      onFrame(type, channel, pending.subarray(offset + HEADER, offset + HEADER + size))
      offset += HEADER + size
    }
    pending = offset === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(offset))
  }
}
