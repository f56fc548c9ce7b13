import { describe, expect, it } from 'vitest'
import {
  isMissingBaseImageError,
  jsonLineSplitter,
  parseBuildEvent,
  stepRatio,
  wholeStreamLines,
} from '../../../src/main/docker/build-output'

describe('stepRatio', () => {
  it('reads Step N/M lines as the share of finished steps', () => {
    expect(stepRatio('Step 1/4 : FROM x')).toBe(0)
    expect(stepRatio('Step 3/4 : RUN y')).toBe(0.5)
    expect(stepRatio('  Step 4/4 : CMD z')).toBe(0.75)
    expect(stepRatio(' ---> Running in abc')).toBeUndefined()
    expect(stepRatio('Step 0/0 : nothing')).toBeUndefined()
  })
})

describe('parseBuildEvent', () => {
  it('splits stream text into lines and picks up the step ratio', () => {
    const e = parseBuildEvent({ stream: 'Step 2/10 : RUN apt-get update\n' })
    expect(e).toEqual({ lines: ['Step 2/10 : RUN apt-get update'], ratio: 0.1 })
    expect(parseBuildEvent({ stream: ' ---> abc\n\n' }).lines).toEqual([' ---> abc'])
  })

  it('reports errors from error or errorDetail', () => {
    const e = parseBuildEvent({
      errorDetail: { code: 100, message: "The command '/bin/sh -c false' returned a non-zero code: 1" },
      error: 'ignored when errorDetail is there',
    })
    expect(e.error).toBe("The command '/bin/sh -c false' returned a non-zero code: 1")
    expect(parseBuildEvent({ error: 'boom' }).error).toBe('boom')
  })

  it('keeps pull statuses, ignores unknown shapes', () => {
    expect(parseBuildEvent({ status: 'Pulling fs layer', id: 'abc' }).lines).toEqual([
      'abc: Pulling fs layer',
    ])
    expect(parseBuildEvent({ aux: { ID: 'sha256:1' } }).lines).toEqual([])
    expect(parseBuildEvent(null).lines).toEqual([])
  })
})

describe('jsonLineSplitter', () => {
  it('parses objects split across chunks and flushes the rest', () => {
    const got: unknown[] = []
    const feed = jsonLineSplitter((o) => got.push(o))
    feed('{"stream":"a"}\n{"str')
    feed(Buffer.from('eam":"b"}\r\n'))
    feed('{"stream":"c"}')
    expect(got).toEqual([{ stream: 'a' }, { stream: 'b' }])
    feed(null)
    expect(got).toEqual([{ stream: 'a' }, { stream: 'b' }, { stream: 'c' }])
  })

  it('passes non-JSON lines on as text', () => {
    const got: unknown[] = []
    const feed = jsonLineSplitter((o) => got.push(o))
    feed('not json\n')
    expect(got).toEqual([{ stream: 'not json' }])
  })
})

describe('isMissingBaseImageError', () => {
  it('recognises pull failures', () => {
    expect(isMissingBaseImageError('pull access denied for nope, repository does not exist')).toBe(true)
    expect(isMissingBaseImageError('Get "https://registry-1.docker.io/v2/": dial tcp: lookup x')).toBe(true)
    expect(isMissingBaseImageError("The command '/bin/sh -c false' returned a non-zero code: 1")).toBe(false)
  })
})

describe('wholeStreamLines', () => {
  it('joins a step’s output sent in pieces, colour codes removed, into whole lines', () => {
    const seen: unknown[] = []
    const whole = wholeStreamLines((o) => seen.push(o))
    for (const ch of 'curl: (60) SSL certificate problem\nmore') whole({ stream: `\u001b[91m${ch}\u001b[0m` })
    whole({ status: 'Pulling' })
    whole({ stream: 'Step 2/4 : RUN x\n' })
    whole(null)
    expect(seen).toEqual([
      { stream: 'curl: (60) SSL certificate problem\n' },
      { stream: 'more' },
      { status: 'Pulling' },
      { stream: 'Step 2/4 : RUN x\n' },
    ])
  })
})
