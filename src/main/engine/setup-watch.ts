import type { PendingConnection } from '../network/policy-proxy'

/** How long setup may print nothing before the timeline says what it waits on, and how often after. */
export const SETUP_QUIET_MS = 30_000

/**
 * A setup phase is never silent: after `quietMs` without output (and every `quietMs` after that) it says
 * so, naming what it waits on when the policy proxy knows (a connection still being made or answered).
 */
export function watchSetupSilence(opts: {
  pending: () => PendingConnection[]
  say: (text: string) => void
  quietMs?: number
  now?: () => number
}): { output: () => void; stop: () => void } {
  const quiet = opts.quietMs ?? SETUP_QUIET_MS
  const now = opts.now ?? Date.now
  let last = now()
  let told = 0
  const check = (): void => {
    const silent = now() - last
    if (silent < quiet * (told + 1)) return
    told = Math.floor(silent / quiet)
    const seconds = Math.round(silent / 1000)
    const waits = opts
      .pending()
      .sort((a, b) => a.since - b.since)
      .slice(0, 3)
      .map((p) => `${p.host}:${p.port} (for ${Math.round((now() - p.since) / 1000)} s)`)
    opts.say(
      waits.length
        ? `Setup has printed nothing for ${seconds} s; it is waiting on ${waits.join(', ')}.\n`
        : `Setup has printed nothing for ${seconds} s; it is still running (no network request is pending).\n`,
    )
  }
  const timer = setInterval(check, Math.max(250, Math.min(5_000, quiet / 4)))
  timer.unref()
  return {
    output: () => {
      last = now()
      told = 0
    },
    stop: () => clearInterval(timer),
  }
}
