/** The editable name of the branch a publish creates (pull request, push, or a branch in the folder). */
export function BranchField({
  value,
  onChange,
}: {
  value: string
  onChange: (value: string) => void
}): React.JSX.Element {
  return (
    <label className="stack">
      <span className="sublabel">Branch</span>
      <input
        className="input mono"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
    </label>
  )
}
