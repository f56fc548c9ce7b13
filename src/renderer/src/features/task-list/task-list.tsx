import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react'
import { FOCUS_IDS, isTyping, modLabel } from '../../lib/keyboard'
import { navigate } from '../../lib/route'
import { useTaskList } from '../../lib/tasks'
import { SearchIcon } from '../../lib/icons'
import { useNow } from '../../lib/use-now'
import { ANY_TIME, dateWindow, startOfLocalDay, type DateFilter } from './date-filter'
import { DateFilterControl } from './date-filter-control'
import { activeFilters, countByFilter, filterTasks, STATUS_FILTERS, type StatusFilter } from './filter'
import { ROW_HEIGHT, TaskRow, taskOptionId } from './task-row'

/**
 * The sidebar's tasks: newest first, filtered by status, creation day and text (all at once), virtualized
 * (only the rows in view exist), arrow keys move the selection; Alt+↑/↓ do so from anywhere.
 */
export function TaskList({ selectedId }: { selectedId?: string }): React.JSX.Element {
  const tasks = useTaskList()
  const now = useNow()
  const [filter, setFilter] = useState<StatusFilter>('all')
  const [query, setQuery] = useState('')
  const [date, setDate] = useState<DateFilter>(ANY_TIME)
  const deferredQuery = useDeferredValue(query)
  // "Today" moves at local midnight: recomputed when the shared clock enters another day.
  const today = startOfLocalDay(now)
  const dates = useMemo(() => dateWindow(date, today), [date, today])
  const days = dates.ok ? dates.window : undefined
  const visible = useMemo(
    () => filterTasks(tasks, filter, deferredQuery, days),
    [tasks, filter, deferredQuery, days],
  )
  const counts = useMemo(() => countByFilter(tasks), [tasks])
  const scrollRef = useRef<HTMLDivElement>(null)

  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
  })

  const clearFilters = (): void => {
    setFilter('all')
    setQuery('')
    setDate(ANY_TIME)
    scrollRef.current?.focus()
  }
  const hiddenBy = activeFilters(filter, deferredQuery, date, days)

  const open = useCallback((id: string) => navigate({ page: 'task', id }), [])
  const selectedIndex = selectedId ? visible.findIndex((t) => t.id === selectedId) : -1

  const move = useCallback(
    (to: number) => {
      if (!visible.length) return
      const index = Math.min(visible.length - 1, Math.max(0, to))
      virtualizer.scrollToIndex(index, { align: 'auto' })
      open(visible[index]!.id)
    },
    [visible, virtualizer, open],
  )

  // Alt+↑ / Alt+↓: previous / next task from anywhere but a text field or editor.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (!event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return
      if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return
      event.preventDefault()
      if (selectedIndex < 0) move(0)
      else move(selectedIndex + (event.key === 'ArrowDown' ? 1 : -1))
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [move, selectedIndex])

  const onListKey = (event: React.KeyboardEvent): void => {
    const step: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }
    if (event.altKey || event.ctrlKey || event.metaKey) return
    if (event.key in step) move(selectedIndex < 0 ? 0 : selectedIndex + step[event.key]!)
    else if (event.key === 'Home') move(0)
    else if (event.key === 'End') move(visible.length - 1)
    else if (event.key === 'Enter' && selectedIndex >= 0) open(visible[selectedIndex]!.id)
    else return
    event.preventDefault()
  }

  const onSearchKey = (event: React.KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'Escape' && query) {
      event.preventDefault()
      setQuery('')
    } else if (event.key === 'ArrowDown') {
      event.preventDefault()
      scrollRef.current?.focus()
      if (selectedIndex < 0) move(0)
    }
  }

  return (
    <div className="task-list">
      <div className="search">
        <SearchIcon size={14} className="search-icon" />
        <input
          id={FOCUS_IDS.taskSearch}
          type="search"
          placeholder="Search tasks"
          aria-label="Search tasks"
          aria-keyshortcuts={modLabel('K')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onSearchKey}
          autoComplete="off"
          spellCheck={false}
        />
        <kbd className="search-kbd" aria-hidden="true">
          {modLabel('K')}
        </kbd>
      </div>
      <div className="task-filters">
        <div className="chips" role="group" aria-label="Filter by status">
          {STATUS_FILTERS.map((f) => (
            <button
              key={f.id}
              type="button"
              className="chip"
              aria-pressed={filter === f.id}
              title={`${counts[f.id]} task${counts[f.id] === 1 ? '' : 's'}`}
              onClick={() => setFilter(f.id)}
            >
              {f.label}
              {f.id !== 'all' && <span className="chip-count">{counts[f.id]}</span>}
            </button>
          ))}
        </div>
        <DateFilterControl value={date} onChange={setDate} error={dates.ok ? undefined : dates.error} />
      </div>
      {visible.length === 0 && (
        <div className="task-list-empty">
          {tasks.length === 0 ? (
            <>
              <strong>No tasks yet</strong>
              <span>Pick some code and describe a change to start one.</span>
            </>
          ) : (
            <>
              <strong>No matching tasks</strong>
              {hiddenBy.length ? (
                <>
                  <span>
                    {tasks.length === 1 ? 'The task is' : `All ${tasks.length} tasks are`} hidden by{' '}
                    {hiddenBy.join(', ')}.
                  </span>
                  <button type="button" className="button small" onClick={clearFilters}>
                    Clear filters
                  </button>
                </>
              ) : (
                <span>Try another word or status.</span>
              )}
            </>
          )}
        </div>
      )}
      <div
        ref={scrollRef}
        id={FOCUS_IDS.taskList}
        className="task-scroll"
        role="listbox"
        aria-label="Tasks"
        tabIndex={0}
        aria-activedescendant={selectedIndex >= 0 ? taskOptionId(visible[selectedIndex]!.id) : undefined}
        onKeyDown={onListKey}
      >
        {visible.length > 0 && (
          <div className="task-scroll-inner" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const task = visible[item.index]!
              return (
                <TaskRow
                  key={task.id}
                  task={task}
                  selected={task.id === selectedId}
                  now={now}
                  top={item.start}
                  onOpen={open}
                />
              )
            })}
          </div>
        )}
      </div>
    </div>
  )
}
