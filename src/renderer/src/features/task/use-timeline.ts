import { useMemo, useRef } from 'react'
import type { TaskEvent } from '../../../../shared/events'
import { TimelineBuilder, type Progress, type TimelineItem } from './timeline-model'

export interface Timeline {
  items: TimelineItem[]
  progress: Progress | undefined
}

/** The timeline rows of a growing event list, folding only the events it has not seen yet. */
export function useTimeline(events: readonly TaskEvent[]): Timeline {
  const builder = useRef<TimelineBuilder | null>(null)
  return useMemo(() => {
    let b = builder.current
    if (!b || !b.continues(events)) b = builder.current = new TimelineBuilder()
    b.push(events)
    return { items: b.items.slice(), progress: b.progress }
  }, [events])
}
