/** Placeholder: the task view (live timeline) is being written. */
export function TaskPage({ id }: { id: string }): React.JSX.Element {
  return <section aria-label="Task">Task {id}</section>
}
