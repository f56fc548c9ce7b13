import type { Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { toDockerAppError } from './client'

/** First and longest pause between two looks at a running exec while its stream stays open. */
const POLL_FIRST_MS = 50
const POLL_MAX_MS = 1_000
/** Once the stream has ended, the engine reports the exit within milliseconds: look often. */
const POLL_AFTER_END_MS = 20
/** After the stream ended, how long an exec may stay "not running, no exit code" before it counts as lost. */
const LOST_EXIT_MS = 10_000
/** After the exit, how long the output still in flight gets to arrive (the engine itself waits 2 s). */
export const DRAIN_MS = 2_000

export interface ExitWatch {
  /**
   * The exec's exit code, once the engine reports it ended (Running false, an ExitCode); -1 when the
   * stream ended and the engine never gave one; undefined after `stop()`. Rejects with an AppError when
   * the stream fails or the engine cannot be asked (unless stopped first).
   */
  done: Promise<number | undefined>
  /** Gives up on the result: the output gets `graceMs` more to arrive, then the stream is closed. */
  stop(graceMs: number): void
}

/**
 * Waits for an exec to end as the engine says it did, not as its stream says: over a connection that
 * cannot be half-closed (Docker Desktop's named pipe) the stream's end may never come, so `exec.inspect()`
 * is polled. The stream's end is a hint to look at once. After the exit, the output still on its way gets
 * `drainMs` to arrive (the stream ends), then the stream is destroyed and `done` resolves.
 */
export function watchExit(
  exec: { inspect(): Promise<Docker.ExecInspectInfo> },
  stream: Duplex,
  { drainMs = DRAIN_MS }: { drainMs?: number } = {},
): ExitWatch {
  let streamEnded = false
  let endedAt = 0
  let failure: unknown
  let stopped = false
  let graceMs = drainMs
  let wake: (() => void) | undefined
  const nudge = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const ended = new Promise<void>((resolve) => {
    const onEnd = (): void => {
      if (!streamEnded) endedAt = Date.now()
      streamEnded = true
      resolve()
      nudge()
    }
    stream.once('end', onEnd)
    stream.once('close', onEnd)
  })
  stream.on('error', (err) => {
    failure ??= err
    nudge()
  })
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined
        resolve()
      }, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  const drain = async (ms: number): Promise<void> => {
    if (!streamEnded) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, ms)))])
      clearTimeout(timer)
    }
    stream.destroy()
  }

  const done = (async (): Promise<number | undefined> => {
    let delay = POLL_FIRST_MS
    for (;;) {
      if (!stopped && failure === undefined) {
        await pause(streamEnded ? Math.min(delay, POLL_AFTER_END_MS) : delay)
      }
      if (stopped) break
      if (failure !== undefined) {
        stream.destroy()
        throw toDockerAppError(failure, 'Lost the output of a command in the task container')
      }
      let info: Docker.ExecInspectInfo
      try {
        info = await exec.inspect()
      } catch (err) {
        if (stopped) break
        stream.destroy()
        throw toDockerAppError(err, 'Could not read the exit code of a command in the task container')
      }
      // Not running with no exit code yet: not started, or just ended and not yet recorded.
      if (!info.Running && typeof info.ExitCode === 'number') {
        await drain(drainMs)
        return info.ExitCode
      }
      if (!info.Running && streamEnded && Date.now() - endedAt > LOST_EXIT_MS) {
        stream.destroy()
        return -1
      }
      delay = Math.min(delay * 2, POLL_MAX_MS)
    }
    await drain(graceMs)
    return undefined
  })()
  return {
    done,
    stop(ms) {
      graceMs = ms
      stopped = true
      nudge()
    },
  }
}
