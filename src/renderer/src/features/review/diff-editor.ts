import type { ComponentType } from 'react'

/** What the review's diff editor needs; Monaco in the app, a stand-in in component tests. */
export interface DiffEditorProps {
  original: string
  modified: string
  /** Monaco language id, from the file name. */
  language: string
  /** Unique per task and file: keys the editor's models. */
  modelKey: string
  sideBySide: boolean
  dark: boolean
  /** The right-hand side can be edited (a text file that still exists, task in review). */
  editable?: boolean
  /** Every edit of the right-hand side, with its whole new text. */
  onChange?: (modified: string) => void
  /** Ctrl/Cmd+S in the editor. */
  onSave?: () => void
}

export type DiffEditorComponent = ComponentType<DiffEditorProps>
