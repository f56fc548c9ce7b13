import { ARTIFACT_NAMES, type ArtifactName } from '../../../../shared/contract'

/** The raw logs and artifacts, one click away. */
export function ArtifactsBar({ onOpen }: { onOpen: (name: ArtifactName) => void }): React.JSX.Element {
  return (
    <nav className="artifacts-bar" aria-label="Logs and artifacts">
      <span className="artifacts-label">Logs</span>
      {ARTIFACT_NAMES.map((name) => (
        <button key={name} type="button" className="artifact-chip" onClick={() => onOpen(name)}>
          {name}
        </button>
      ))}
    </nav>
  )
}
