import { describe, expect, it } from 'vitest'
import { ackFrame, createFrameReader, encodeFrame, MuxFrame } from '../../../src/main/docker/mux-frames'

type Seen = Array<[number, number, string]>

function reader(): { feed: (chunk: Buffer) => void; seen: Seen } {
  const seen: Seen = []
  return { seen, feed: createFrameReader((t, c, p) => seen.push([t, c, p.toString('hex')])) }
}

describe('codex-mux frames', () => {
  it('round-trips frames however the stream cuts them, a byte at a time included', () => {
    const stream = Buffer.concat([
      encodeFrame(MuxFrame.READY, 0, Buffer.from('3128 3129')),
      encodeFrame(MuxFrame.OPEN, 7, Buffer.from([0x0c, 0x38])),
      encodeFrame(MuxFrame.DATA, 7, Buffer.from('hello')),
      encodeFrame(MuxFrame.EOF, 7),
      ackFrame(7, 65_536),
    ])
    const expected: Seen = [
      [MuxFrame.READY, 0, Buffer.from('3128 3129').toString('hex')],
      [MuxFrame.OPEN, 7, '0c38'],
      [MuxFrame.DATA, 7, Buffer.from('hello').toString('hex')],
      [MuxFrame.EOF, 7, ''],
      [MuxFrame.ACK, 7, '00010000'],
    ]
    const whole = reader()
    whole.feed(stream)
    expect(whole.seen).toEqual(expected)
    const bytes = reader()
    for (const b of stream) bytes.feed(Buffer.from([b]))
    expect(bytes.seen).toEqual(expected)
  })

  it('matches codex-mux’s header: type, channel, length, big-endian', () => {
    expect(encodeFrame(MuxFrame.DATA, 0x01020304, Buffer.from('ab')).toString('hex')).toBe(
      '03' + '01020304' + '00000002' + '6162',
    )
  })

  it('refuses a stream that is not codex-mux’s (a frame larger than it ever sends)', () => {
    const { feed } = reader()
    expect(() => feed(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(/not codex-mux/)
  })
})
