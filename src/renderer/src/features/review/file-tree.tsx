import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef } from 'react'
import { ChevronIcon } from '../../lib/icons'
import { STATUS_LETTERS, type TreeNode, type TreeRow } from './file-tree-model'
import type { IncludeState } from './selection-model'
import './file-tree.css'

const ROW_PX = 26

function TriCheckbox(props: {
  state: IncludeState
  label: string
  onChange: () => void
  disabled?: boolean
}): React.JSX.Element {
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = props.state === 'some'
  }, [props.state])
  return (
    <input
      ref={ref}
      type="checkbox"
      className="tree-check"
      checked={props.state === 'all'}
      disabled={props.disabled}
      onChange={props.onChange}
      onClick={(e) => e.stopPropagation()}
      aria-label={props.label}
      tabIndex={-1}
    />
  )
}

export interface FileTreeProps {
  rows: TreeRow[]
  collapsed: ReadonlySet<string>
  selected: string | undefined
  /** Each file's include state by key: whole, in part (some hunks or lines left out), or not at all. */
  states: ReadonlyMap<string, IncludeState>
  /** Boxes shown but not changeable (one turn's own diff). */
  readOnly?: boolean
  onSelect: (key: string) => void
  onToggleFolder: (path: string) => void
  /** Include whole (true) or exclude (false) these file keys. */
  onInclude: (keys: string[], include: boolean) => void
}

/** A file's own state; a folder's: all, none, or some of its files' (a partial file makes it 'some'). */
function includeState(node: TreeNode, states: ReadonlyMap<string, IncludeState>): IncludeState {
  if (node.kind === 'file') return states.get(node.path) ?? 'all'
  let all = 0
  let none = 0
  for (const key of node.files) {
    const state = states.get(key) ?? 'all'
    if (state === 'all') all++
    else if (state === 'none') none++
    else return 'some'
  }
  return none === 0 ? 'all' : all === 0 ? 'none' : 'some'
}

/** Changed files as a tree (virtualized): folders collapse, each file shows its status and +/− counts. */
export function FileTree(props: FileTreeProps): React.JSX.Element {
  const { rows, collapsed, selected, states, readOnly, onSelect, onToggleFolder, onInclude } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_PX,
    getItemKey: (i) => rows[i]!.node.path,
    overscan: 10,
  })

  const selectedIndex = rows.findIndex((r) => r.node.kind === 'file' && r.node.path === selected)
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' })
  }, [selectedIndex, virtualizer])

  return (
    <div ref={scrollRef} className="file-tree" role="tree" aria-label="Changed files">
      <div className="file-tree-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((v) => {
          const { node, depth } = rows[v.index]!
          const state = includeState(node, states)
          const style = { transform: `translateY(${v.start}px)`, paddingLeft: 8 + depth * 14 }
          if (node.kind === 'dir') {
            const open = !collapsed.has(node.path)
            return (
              <div
                key={v.key}
                className="tree-row tree-dir"
                style={style}
                role="treeitem"
                aria-expanded={open}
                onClick={() => onToggleFolder(node.path)}
              >
                <ChevronIcon className={`tree-chevron${open ? ' is-open' : ''}`} size={12} />
                <TriCheckbox
                  state={state}
                  label={`Include ${node.path}/`}
                  disabled={readOnly}
                  onChange={() => onInclude(node.files, state !== 'all')}
                />
                <span className="tree-name">{node.name}</span>
                <span className="tree-count muted">{node.files.length}</span>
              </div>
            )
          }
          const f = node.file
          const isSel = node.path === selected
          return (
            <div
              key={v.key}
              className={`tree-row tree-file status-${f.status}${isSel ? ' is-selected' : ''}${state === 'none' ? ' is-excluded' : state === 'some' ? ' is-partial' : ''}`}
              style={style}
              role="treeitem"
              aria-selected={isSel}
              title={f.status === 'renamed' ? `${f.oldPath} → ${f.newPath}` : node.path}
              onClick={() => onSelect(node.path)}
            >
              <span className="tree-chevron-space" />
              <TriCheckbox
                state={state}
                label={`Include ${node.path}`}
                disabled={readOnly}
                onChange={() => onInclude([node.path], state !== 'all')}
              />
              <span className="tree-name">{node.name}</span>
              <span className="tree-stats">
                {f.additions > 0 && <span className="add">+{f.additions}</span>}
                {f.deletions > 0 && <span className="del">−{f.deletions}</span>}
              </span>
              <span className={`tree-letter letter-${f.status}`} title={f.status}>
                {STATUS_LETTERS[f.status]}
              </span>
            </div>
          )
        })}
      </div>
    </div>
  )
}
