import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef } from 'react'
import { ChevronIcon } from '../../lib/icons'
import { STATUS_LETTERS, type TreeNode, type TreeRow } from './file-tree-model'
import './file-tree.css'

const ROW_PX = 26

function TriCheckbox(props: {
  state: 'all' | 'some' | 'none'
  label: string
  onChange: () => void
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
  excluded: ReadonlySet<string>
  onSelect: (key: string) => void
  onToggleFolder: (path: string) => void
  /** Include (true) or exclude (false) these file keys. */
  onInclude: (keys: string[], include: boolean) => void
}

function includeState(node: TreeNode, excluded: ReadonlySet<string>): 'all' | 'some' | 'none' {
  const keys = node.kind === 'dir' ? node.files : [node.path]
  const out = keys.filter((k) => excluded.has(k)).length
  return out === 0 ? 'all' : out === keys.length ? 'none' : 'some'
}

/** Changed files as a tree (virtualized): folders collapse, each file shows its status and +/− counts. */
export function FileTree(props: FileTreeProps): React.JSX.Element {
  const { rows, collapsed, selected, excluded, onSelect, onToggleFolder, onInclude } = props
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
          const state = includeState(node, excluded)
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
              className={`tree-row tree-file status-${f.status}${isSel ? ' is-selected' : ''}${state === 'none' ? ' is-excluded' : ''}`}
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
