import { describe, expect, it } from 'vitest'
import { createDemuxer, ExecOutput, streamedCapNote } from '../../../src/main/docker/exec-output'

const MIB = 1024 * 1024

/** One Docker stream frame (8-byte header, then the payload) of `size` bytes of `byte`. */
function frameOf(type: number, size: number, byte: string): Buffer {
  const framed = Buffer.alloc(8 + size, byte)
  framed.fill(0, 0, 8)
  framed[0] = type
  framed.writeUInt32BE(size, 4)
  return framed
}

/** Feeds `totalBytes` of stdout through the demuxer into `output`, in 32 KiB frames sent 64 KiB at a time. */
function flood(output: ExecOutput, totalBytes: number): void {
  const feed = createDemuxer((stream, payload) => output.push(stream, payload))
  const chunk = Buffer.concat([frameOf(1, 32 * 1024, 'y'), frameOf(1, 32 * 1024, 'y')])
  for (let sent = 0; sent < totalBytes; sent += 64 * 1024) feed(chunk)
}

describe('an exec writing gigabytes', () => {
  it('is drained whole while only head and tail are kept: the host’s memory stays flat', () => {
    const output = new ExecOutput(4 * MIB)
    globalThis.gc?.()
    const before = process.memoryUsage().rss
    flood(output, 1024 * MIB)
    const grewMiB = (process.memoryUsage().rss - before) / MIB
    const text = output.text('stdout')
    expect(output.truncated).toBe(true)
    expect(text.length).toBeLessThan(4 * MIB)
    // Every byte was read and counted, not just the kept ones.
    expect(text).toContain(`[… ${1024 * MIB - 3 * MIB} bytes of output omitted …]`)
    expect(grewMiB).toBeLessThan(100)
  })

  it('forwards at most maxStreamedBytes as it comes, then one note, and keeps the tail all the same', () => {
    const forwarded: string[] = []
    const output = new ExecOutput(1 * MIB, (text) => forwarded.push(text), 2 * MIB)
    flood(output, 64 * MIB)
    const streamed = forwarded.join('')
    expect(streamed.endsWith(streamedCapNote(2 * MIB))).toBe(true)
    expect(streamed.length).toBeLessThanOrEqual(2 * MIB + streamedCapNote(2 * MIB).length)
    expect(forwarded.filter((t) => t.includes('not shown as it comes'))).toHaveLength(1)
    expect(output.text('stdout').endsWith('y'.repeat(1000))).toBe(true)
  })

  it('forwards everything when no limit is set', () => {
    let forwardedBytes = 0
    const output = new ExecOutput(1 * MIB, (text) => (forwardedBytes += text.length))
    flood(output, 8 * MIB)
    expect(forwardedBytes).toBe(8 * MIB)
  })
})
