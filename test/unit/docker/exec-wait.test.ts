import { PassThrough } from 'node:stream'
import type Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import { watchExit } from '../../../src/main/docker/exec-wait'
import { AppError } from '../../../src/main/errors'

type State = Pick<Docker.ExecInspectInfo, 'Running' | 'ExitCode'>

/** An exec whose inspect answers `states` in turn (the last one from then on), counting the calls. */
function fakeExec(states: State[]): { inspect(): Promise<Docker.ExecInspectInfo>; calls: number } {
  const fake = {
    calls: 0,
    inspect: async () => {
      const state = states[Math.min(fake.calls, states.length - 1)] as State
      fake.calls++
      return state as Docker.ExecInspectInfo
    },
  }
  return fake
}

const running: State = { Running: true, ExitCode: null }
const exited = (code: number): State => ({ Running: false, ExitCode: code })

describe('watchExit', () => {
  it('ends on the exit the engine reports, though the stream never ends', async () => {
    const stream = new PassThrough()
    stream.resume()
    const exec = fakeExec([running, running, exited(3)])
    const started = Date.now()
    expect(await watchExit(exec, stream, { drainMs: 100 }).done).toBe(3)
    expect(exec.calls).toBe(3)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(stream.destroyed).toBe(true)
  })

  it('takes the stream’s end as a hint only: a command still running is waited for', async () => {
    const stream = new PassThrough()
    stream.resume()
    const exec = fakeExec([running, running, running, running, exited(0)])
    const watch = watchExit(exec, stream)
    stream.end()
    expect(await watch.done).toBe(0)
    expect(exec.calls).toBe(5)
  })

  it('keeps polling while the exec has not started (not running, no exit code yet)', async () => {
    const stream = new PassThrough()
    stream.resume()
    const exec = fakeExec([{ Running: false, ExitCode: null }, running, exited(1)])
    expect(await watchExit(exec, stream, { drainMs: 50 }).done).toBe(1)
  })

  it('lets the output still in flight after the exit arrive before it resolves', async () => {
    const stream = new PassThrough()
    const got: string[] = []
    stream.on('data', (c: Buffer) => got.push(c.toString()))
    const exec = fakeExec([exited(0)])
    const watch = watchExit(exec, stream)
    setTimeout(() => {
      stream.write('late output')
      stream.end()
    }, 300)
    expect(await watch.done).toBe(0)
    expect(got).toEqual(['late output'])
  })

  it('stop() gives up: resolves undefined after the grace, and closes the stream', async () => {
    const stream = new PassThrough()
    stream.resume()
    const watch = watchExit(fakeExec([running]), stream)
    setTimeout(() => watch.stop(50), 100)
    expect(await watch.done).toBeUndefined()
    expect(stream.destroyed).toBe(true)
  })

  it('rejects with an AppError when the stream fails or the engine cannot be asked', async () => {
    const broken = new PassThrough()
    broken.resume()
    const watch = watchExit(fakeExec([running]), broken)
    broken.destroy(new Error('pipe broke'))
    await expect(watch.done).rejects.toBeInstanceOf(AppError)
    const gone = {
      inspect: () => Promise.reject(Object.assign(new Error('no such exec'), { statusCode: 404 })),
    }
    await expect(watchExit(gone, new PassThrough()).done).rejects.toThrow(/exit code/)
  })
})
