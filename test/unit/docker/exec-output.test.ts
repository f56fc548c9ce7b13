import { describe, expect, it } from 'vitest'
import { createDemuxer, ExecOutput, HeadTailBuffer } from '../../../src/main/docker/exec-output'

const frame = (type: number, text: string | Buffer): Buffer => {
  const payload = Buffer.from(text)
  const header = Buffer.alloc(8)
  header[0] = type
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

describe('createDemuxer', () => {
  it('splits frames into stdout and stderr, ignoring stdin frames', () => {
    const got: string[] = []
    const feed = createDemuxer((stream, payload) => got.push(`${stream}:${payload.toString()}`))
    feed(Buffer.concat([frame(1, 'out1'), frame(2, 'err1'), frame(0, 'in'), frame(1, 'out2')]))
    expect(got).toEqual(['stdout:out1', 'stderr:err1', 'stdout:out2'])
  })

  it('reassembles frames cut at any byte, headers included', () => {
    const all = Buffer.concat([frame(1, 'hello world'), frame(2, 'oops'), frame(1, '')])
    for (let cut = 1; cut < all.length; cut++) {
      const got: string[] = []
      const feed = createDemuxer((stream, payload) => got.push(`${stream}:${payload.toString()}`))
      feed(all.subarray(0, cut))
      feed(all.subarray(cut))
      expect(got).toEqual(['stdout:hello world', 'stderr:oops', 'stdout:'])
    }
  })

  it('handles one byte at a time', () => {
    const all = Buffer.concat([frame(1, 'abc'), frame(2, 'de')])
    const got: string[] = []
    const feed = createDemuxer((stream, payload) => got.push(`${stream}:${payload.toString()}`))
    for (const byte of all) feed(Buffer.from([byte]))
    expect(got).toEqual(['stdout:abc', 'stderr:de'])
  })
})

describe('HeadTailBuffer', () => {
  it('keeps everything under the cap', () => {
    const b = new HeadTailBuffer(100)
    b.push(Buffer.from('hello '))
    b.push(Buffer.from('world'))
    expect(b.truncated).toBe(false)
    expect(b.text()).toBe('hello world')
  })

  it('keeps the first and last halves and says how much was dropped', () => {
    const b = new HeadTailBuffer(10)
    const text = 'abcdefghijklmnopqrstuvwxyz'
    for (const ch of text) b.push(Buffer.from(ch))
    expect(b.truncated).toBe(true)
    expect(b.totalBytes).toBe(26)
    expect(b.text()).toBe('abcde\n[… 16 bytes of output omitted …]\nvwxyz')
  })

  it('gives the same result whatever the chunking', () => {
    const text = Buffer.from('0123456789'.repeat(50))
    const whole = new HeadTailBuffer(64)
    whole.push(text)
    const pieces = new HeadTailBuffer(64)
    for (let i = 0; i < text.length; i += 7) pieces.push(text.subarray(i, i + 7))
    expect(pieces.text()).toBe(whole.text())
    expect(whole.text().startsWith(text.subarray(0, 32).toString())).toBe(true)
    expect(whole.text().endsWith(text.subarray(text.length - 32).toString())).toBe(true)
  })

  it('bounds memory for a large stream', () => {
    const b = new HeadTailBuffer(1024)
    const chunk = Buffer.alloc(64 * 1024, 120)
    for (let i = 0; i < 200; i++) b.push(chunk)
    expect(b.totalBytes).toBe(200 * 64 * 1024)
    expect(Buffer.byteLength(b.text())).toBeLessThan(1024 + 100)
  })
})

describe('ExecOutput', () => {
  it('forwards decoded text without splitting multi-byte characters', () => {
    const seen: string[] = []
    const out = new ExecOutput(1000, (chunk, stream) => seen.push(`${stream}:${chunk}`))
    const euro = Buffer.from('€') // 3 bytes
    out.push('stdout', Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]))
    out.push('stdout', euro.subarray(1))
    out.push('stderr', Buffer.from('warn'))
    expect(seen).toEqual(['stdout:a', 'stdout:€', 'stderr:warn'])
    expect(out.text('stdout')).toBe('a€')
    expect(out.text('stderr')).toBe('warn')
    expect(out.truncated).toBe(false)
  })

  it('flags truncation when either stream overflows its share', () => {
    const out = new ExecOutput(400)
    out.push('stderr', Buffer.alloc(500, 101))
    expect(out.truncated).toBe(true)
    expect(out.text('stderr')).toContain('bytes of output omitted')
  })
})
