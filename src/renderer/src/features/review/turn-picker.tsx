import type { TurnSnapshot } from '../../../../shared/review'

/** "Turn 2 (+4 −1)", or "Turn 2 (No changes)". */
export function turnLabel(s: TurnSnapshot): string {
  return s.files === 0 ? `Turn ${s.turn} (No changes)` : `Turn ${s.turn} (+${s.additions} −${s.deletions})`
}

/**
 * Which change the review shows: the whole task's (baseline → now) or one turn's own (its start → its
 * end, read-only). Nothing until a task has a turn snapshot.
 */
export function TurnPicker(props: {
  snapshots: readonly TurnSnapshot[] | undefined
  turn: number | undefined
  onChange: (turn: number | undefined) => void
}): React.JSX.Element | null {
  const { snapshots, turn, onChange } = props
  if (!snapshots?.length && turn === undefined) return null
  const known = snapshots?.some((s) => s.turn === turn)
  return (
    <select
      className="input turn-picker"
      aria-label="Show changes of"
      value={turn === undefined ? '' : String(turn)}
      onChange={(e) => onChange(e.target.value ? Number(e.target.value) : undefined)}
    >
      <option value="">Whole task</option>
      {snapshots?.map((s) => (
        <option key={s.turn} value={String(s.turn)}>
          {turnLabel(s)}
        </option>
      ))}
      {turn !== undefined && !known && <option value={String(turn)}>Turn {turn}</option>}
    </select>
  )
}
