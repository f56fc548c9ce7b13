import { useEffect, useState } from 'react'

/** The current time in ms, ticking every `intervalMs` while `live` (for elapsed times). */
export function useNow(live: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!live) return
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [live, intervalMs])
  return now
}
