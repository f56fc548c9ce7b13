/** Placeholder: the review (changed files, Monaco diff, follow-up) is being written. */
export function ReviewPage({ id }: { id: string }): React.JSX.Element {
  return <section aria-label="Review">Review {id}</section>
}
