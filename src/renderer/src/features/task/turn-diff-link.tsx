import { navigate, routeHash } from '../../lib/route'
import { useTaskActions } from './task-actions'

/**
 * After a turn's diff row: "Turn N's changes", a link to that turn's own diff in the review, or "No
 * changes in this turn" when its snapshot holds no file. Nothing outside a task page.
 */
export function TurnDiffLink({ turn }: { turn: number }): React.JSX.Element | null {
  const task = useTaskActions()?.task
  if (!task) return null
  const snapshot = task.turnSnapshots?.find((s) => s.turn === turn)
  if (snapshot?.files === 0) return <span className="muted tl-turn-link"> · No changes in this turn</span>
  return (
    <>
      {' · '}
      <a
        className="link tl-turn-link"
        href={routeHash({ page: 'review', id: task.id, turn })}
        onClick={(e) => {
          e.preventDefault()
          navigate({ page: 'review', id: task.id, turn })
        }}
      >
        Turn {turn}&apos;s changes
      </a>
    </>
  )
}
