import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { frameStdin, framedArgv, unixScript } from '../../../src/main/docker/stdin-frame'

interface Run {
  code: number | null
  stdout: Buffer
  stderr: string
}

/**
 * Runs argv on the host with `input` written to its stdin, which is NEVER closed (as over Docker
 * Desktop's named pipe): a command that waits for end-of-file is killed after `limitMs` (code null).
 */
function runWithOpenStdin(argv: string[], input: Buffer, limitMs = 5_000): Promise<Run> {
  const [cmd, ...args] = argv
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.stdin.on('error', () => undefined)
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({ code, stdout: Buffer.concat(out), stderr: err })
    })
    child.stdin.write(input)
  })
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('frameStdin / framedArgv', () => {
  it('frames as the byte count, a newline, then the bytes', () => {
    expect(frameStdin('héllo').toString('utf8')).toBe('6\nhéllo')
    expect(frameStdin(Buffer.from([0, 10, 255]))).toEqual(Buffer.from([0x33, 0x0a, 0, 10, 255]))
    expect(frameStdin('').toString()).toBe('0\n')
  })

  it('wraps the command in the sh reader, and leaves an empty argv empty', () => {
    expect(framedArgv(['bash', '-s'])).toEqual([
      'sh',
      '-c',
      expect.stringContaining('head -c'),
      'sh',
      'bash',
      '-s',
    ])
    expect(framedArgv([])).toEqual([])
  })

  it('gives the command exactly the framed bytes and end-of-file, with stdin left open', async () => {
    const payload = Buffer.concat([Buffer.from('{"op":"read"}\n\0binary\r\n'), Buffer.alloc(300_000, 7)])
    const r = await runWithOpenStdin(
      framedArgv(['sh', '-c', 'cat; echo "exit after EOF" >&2; exit 7']),
      frameStdin(payload),
    )
    expect(r.code).toBe(7)
    expect(sha(r.stdout)).toBe(sha(payload))
    expect(r.stderr).toBe('exit after EOF\n')
  })

  it('reads no further than the frame: bytes after it are not the command’s', async () => {
    const r = await runWithOpenStdin(
      framedArgv(['wc', '-c']),
      Buffer.concat([frameStdin('abc'), Buffer.from('EXTRA')]),
    )
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout.toString().trim()).toBe('3')
  })

  it('an empty payload is an immediate end-of-file; a malformed frame runs nothing (exit 125)', async () => {
    expect((await runWithOpenStdin(framedArgv(['cat']), frameStdin(''))).code).toBe(0)
    const bad = await runWithOpenStdin(
      framedArgv(['touch', '/nonexistent-should-not-run']),
      Buffer.from('12x\nabc'),
    )
    expect(bad.code).toBe(125)
    expect(bad.stderr).toMatch(/malformed stdin frame/)
  })

  it('without the frame, the same command waits for an end-of-file that never comes', async () => {
    const r = await runWithOpenStdin(['cat'], Buffer.from('abc'), 500)
    expect(r.code).toBeNull()
  })
})

describe('unixScript', () => {
  it('turns CRLF into LF, drops a trailing CR and a byte-order mark, leaves the rest', () => {
    expect(unixScript('set -e\r\necho a\r\n')).toBe('set -e\necho a\n')
    expect(unixScript('\uFEFFecho a\r\necho "b\rc"\r')).toBe('echo a\necho "b\rc"')
    expect(unixScript('echo a\n')).toBe('echo a\n')
  })

  it('makes a CRLF setup script run under bash -s (it fails with the CRs left in)', async () => {
    const script = 'set -e\r\ncd /\r\necho "in $(pwd)"\r\ntest "$(pwd)" = /\r\n'
    const raw = await runWithOpenStdin(framedArgv(['bash', '-s']), frameStdin(script))
    expect(raw.code).not.toBe(0)
    expect(raw.stderr).toMatch(/invalid option/)
    expect(raw.stderr).toMatch(/No such file or directory/)
    const fixed = await runWithOpenStdin(framedArgv(['bash', '-s']), frameStdin(unixScript(script)))
    expect(fixed).toMatchObject({ code: 0, stderr: '' })
    expect(fixed.stdout.toString()).toBe('in /\n')
  })
})
