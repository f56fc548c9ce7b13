import { useCallback, useEffect, useRef, useState, type RefObject } from 'react'
import type { EngineStatus } from '../../../../shared/engines'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'

/** How often the list is asked again while it is on screen: load and health follow. */
export const ENGINE_POLL_MS = 5_000

/**
 * Whether `target` is on screen: in the viewport (an IntersectionObserver's word, where there is one) and
 * in a window that is not hidden. Counted as visible until an observer says otherwise.
 */
export function useOnScreen(target: RefObject<Element | null>): boolean {
  const [inView, setInView] = useState(true)
  const [pageShown, setPageShown] = useState(() => document.visibilityState !== 'hidden')
  useEffect(() => {
    const onVisibility = (): void => setPageShown(document.visibilityState !== 'hidden')
    document.addEventListener('visibilitychange', onVisibility)
    return () => document.removeEventListener('visibilitychange', onVisibility)
  }, [])
  useEffect(() => {
    const element = target.current
    if (!element || typeof IntersectionObserver === 'undefined') return
    const observer = new IntersectionObserver((entries) => {
      const last = entries[entries.length - 1]
      if (last) setInView(last.isIntersecting)
    })
    observer.observe(element)
    return () => observer.disconnect()
  }, [target])
  return inView && pageShown
}

export interface EngineStatuses {
  statuses?: EngineStatus[]
  /** Set when the call itself failed. */
  error?: AppErrorData
  checking: boolean
  refresh: () => Promise<void>
}

/** `system.engines`, asked when shown, every ENGINE_POLL_MS while `target` is on screen, and on refresh. */
export function useEngineStatuses(target: RefObject<Element | null>): EngineStatuses {
  const [statuses, setStatuses] = useState<EngineStatus[]>()
  const [error, setError] = useState<AppErrorData>()
  const [checking, setChecking] = useState(false)
  const inFlight = useRef<Promise<void> | undefined>(undefined)
  const mounted = useRef(true)
  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const ask = useCallback(async (): Promise<void> => {
    const result = await settle(() => api['system.engines']({}))
    if (!mounted.current) return
    if (result.ok) {
      setStatuses(result.value)
      setError(undefined)
    } else setError(result.error)
  }, [])
  // Overlapping asks (a poll during "Check again") share one call.
  const refresh = useCallback((): Promise<void> => {
    inFlight.current ??= ask().finally(() => {
      inFlight.current = undefined
    })
    return inFlight.current
  }, [ask])

  const onScreen = useOnScreen(target)
  useEffect(() => {
    if (!onScreen) return
    void refresh()
    const timer = setInterval(() => void refresh(), ENGINE_POLL_MS)
    return () => clearInterval(timer)
  }, [onScreen, refresh])

  // "Checking…" for the asks the user made, not for every poll.
  const check = useCallback(async (): Promise<void> => {
    setChecking(true)
    await refresh()
    if (mounted.current) setChecking(false)
  }, [refresh])

  return { statuses, error, checking, refresh: check }
}
