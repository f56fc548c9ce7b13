import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { TimelineItem } from './timeline-model'
import { TimelineRow } from './timeline-row'
import type { Expansion } from './tool-row'
import './timeline.css'

/** Within this many pixels of the bottom counts as "at the bottom": new rows keep the view pinned. */
const STICK_PX = 48

const ESTIMATES: Record<TimelineItem['kind'], number> = {
  message: 64,
  tool: 96,
  tool_draft: 72,
  usage: 28,
  retry: 30,
  compaction: 60,
  status: 30,
  phase: 30,
  log: 140,
  diff: 30,
  error: 80,
  blocked: 34,
}

const Row = memo(function Row(props: { item: TimelineItem; ex: Expansion }) {
  return <TimelineRow item={props.item} ex={props.ex} />
})

/**
 * The task's timeline, virtualized with measured row heights: only the rows in view (plus a few) exist in
 * the DOM. While the user is at the bottom it follows new rows; scrolling up stops that, and a button
 * jumps back to the latest.
 */
export function Timeline({
  items,
  empty,
}: {
  items: TimelineItem[]
  empty?: React.ReactNode
}): React.JSX.Element {
  const scrollRef = useRef<HTMLDivElement>(null)
  const stick = useRef(true)
  const [following, setFollowing] = useState(true)
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set())

  const ex = useMemo<Expansion>(
    () => ({
      isExpanded: (key) => expanded.has(key),
      toggle: (key) =>
        setExpanded((current) => {
          const next = new Set(current)
          if (!next.delete(key)) next.add(key)
          return next
        }),
    }),
    [expanded],
  )

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => ESTIMATES[items[index]!.kind],
    getItemKey: (index) => items[index]!.key,
    overscan: 6,
    paddingStart: 12,
    paddingEnd: 24,
  })
  const totalSize = virtualizer.getTotalSize()

  const toBottom = useCallback(() => {
    const el = scrollRef.current
    if (el) el.scrollTop = el.scrollHeight
  }, [])

  // Follow the stream: after rows are added or measured, stay at the bottom if the user was there.
  useLayoutEffect(() => {
    if (stick.current && items.length) {
      virtualizer.scrollToIndex(items.length - 1, { align: 'end' })
      toBottom()
    }
  }, [items.length, totalSize, virtualizer, toBottom])

  const onScroll = (): void => {
    const el = scrollRef.current
    if (!el) return
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX
    stick.current = atBottom
    if (atBottom !== following) setFollowing(atBottom)
  }

  const jump = (): void => {
    stick.current = true
    setFollowing(true)
    virtualizer.scrollToIndex(items.length - 1, { align: 'end' })
    requestAnimationFrame(toBottom)
  }

  return (
    <div className="timeline-wrap">
      <div
        ref={scrollRef}
        className="timeline"
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-label="Timeline"
        aria-live="off"
      >
        {items.length === 0 && empty}
        <div className="timeline-inner" style={{ height: totalSize }}>
          {virtualizer.getVirtualItems().map((row) => {
            const item = items[row.index]!
            return (
              <div
                key={row.key}
                data-index={row.index}
                ref={virtualizer.measureElement}
                className="timeline-row"
                style={{ transform: `translateY(${row.start}px)` }}
              >
                <Row item={item} ex={ex} />
              </div>
            )
          })}
        </div>
      </div>
      {!following && items.length > 0 && (
        <button type="button" className="jump-latest" onClick={jump}>
          ↓ Jump to latest
        </button>
      )}
    </div>
  )
}
