import { useRef } from 'react'
import { api, isDesktop } from '../../lib/api'
import { baseName, formatBytes } from '../../lib/format'
import { ArchiveIcon, FolderIcon, GitIcon } from '../../lib/icons'
import { updateDraft, type Draft, type SourceTab } from './draft'
import { RepoPicker } from './repo-picker'
import { takeZipFile } from './take-file'

const TABS: { id: SourceTab; label: string; Icon: typeof FolderIcon }[] = [
  { id: 'folder', label: 'Folder', Icon: FolderIcon },
  { id: 'zip', label: 'ZIP', Icon: ArchiveIcon },
  { id: 'git', label: 'Git URL', Icon: GitIcon },
]

interface Props {
  draft: Draft
  error?: string
  branchError?: string
  onBlur: (field: 'source' | 'gitBranch') => void
}

/** Where the code comes from: a folder, a ZIP, or a Git URL and branch. */
export function SourceChooser({ draft, error, branchError, onBlur }: Props): React.JSX.Element {
  const tabRefs = useRef<Partial<Record<SourceTab, HTMLButtonElement | null>>>({})
  const select = (tab: SourceTab): void => updateDraft({ tab, sourceError: undefined })
  const onTabKey = (event: React.KeyboardEvent): void => {
    const i = TABS.findIndex((t) => t.id === draft.tab)
    const delta = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
    if (!delta) return
    event.preventDefault()
    const next = TABS[(i + delta + TABS.length) % TABS.length]!.id
    select(next)
    tabRefs.current[next]?.focus()
  }
  const message = draft.sourceError ?? error
  return (
    <fieldset className="field source-chooser">
      <legend className="label">Code</legend>
      <div className="tabs" role="tablist" aria-label="Source" onKeyDown={onTabKey}>
        {TABS.map(({ id, label, Icon }) => (
          <button
            key={id}
            ref={(el) => {
              tabRefs.current[id] = el
            }}
            type="button"
            role="tab"
            id={`source-tab-${id}`}
            aria-selected={draft.tab === id}
            aria-controls="source-panel"
            tabIndex={draft.tab === id ? 0 : -1}
            className="tab"
            onClick={() => select(id)}
          >
            <Icon size={14} />
            {label}
          </button>
        ))}
      </div>
      <div
        className="tab-panel"
        role="tabpanel"
        id="source-panel"
        aria-labelledby={`source-tab-${draft.tab}`}
      >
        {draft.tab === 'folder' && <FolderPanel draft={draft} onBlur={() => onBlur('source')} />}
        {draft.tab === 'zip' && <ZipPanel draft={draft} />}
        {draft.tab === 'git' && <GitPanel draft={draft} branchError={branchError} onBlur={onBlur} />}
      </div>
      {message && (
        <p className="field-error" role="alert" id="source-error">
          {message}
        </p>
      )}
    </fieldset>
  )
}

function FolderPanel({ draft, onBlur }: { draft: Draft; onBlur: () => void }): React.JSX.Element {
  if (!isDesktop) {
    return (
      <label className="stack">
        <span className="sublabel">Folder path on the server machine</span>
        <input
          type="text"
          className="input mono"
          placeholder="/home/me/projects/my-app"
          value={draft.folderPath}
          onChange={(e) => updateDraft({ folderPath: e.target.value, sourceError: undefined })}
          onBlur={onBlur}
          aria-describedby="source-error"
          spellCheck={false}
        />
      </label>
    )
  }
  const pick = async (): Promise<void> => {
    const result = await api['dialog.pickFolder']({})
    if (result.ok && result.value) updateDraft({ folderPath: result.value, sourceError: undefined })
    else if (!result.ok) updateDraft({ sourceError: result.error.message })
  }
  return draft.folderPath ? (
    <SourceCard icon={<FolderIcon />} name={baseName(draft.folderPath)} detail={draft.folderPath}>
      <button type="button" className="button small" onClick={() => void pick()}>
        Change…
      </button>
    </SourceCard>
  ) : (
    <div className="dropzone">
      <button type="button" className="button" onClick={() => void pick()}>
        Choose folder…
      </button>
      <span className="muted">or drop a folder on the window</span>
    </div>
  )
}

function ZipPanel({ draft }: { draft: Draft }): React.JSX.Element {
  const fileInput = useRef<HTMLInputElement>(null)
  const pick = async (): Promise<void> => {
    if (!isDesktop) return fileInput.current?.click()
    const result = await api['dialog.pickZip']({})
    if (result.ok && result.value) {
      updateDraft({ zip: { path: result.value, name: baseName(result.value) }, sourceError: undefined })
    } else if (!result.ok) updateDraft({ sourceError: result.error.message })
  }
  const input = (
    <input
      ref={fileInput}
      type="file"
      accept=".zip,application/zip"
      hidden
      data-testid="zip-input"
      onChange={(e) => {
        const file = e.target.files?.[0]
        e.target.value = ''
        if (file) void takeZipFile(file)
      }}
    />
  )
  if (draft.zipBusy) {
    return (
      <div className="dropzone busy" role="status">
        <span className="spinner" aria-hidden="true" /> Uploading the ZIP…
      </div>
    )
  }
  if (draft.zip) {
    const size = draft.zip.size === undefined ? undefined : formatBytes(draft.zip.size)
    return (
      <SourceCard icon={<ArchiveIcon />} name={draft.zip.name} detail={size ?? draft.zip.path} mono={!size}>
        <button type="button" className="button small" onClick={() => void pick()}>
          Replace…
        </button>
        <button type="button" className="button ghost small" onClick={() => updateDraft({ zip: undefined })}>
          Remove
        </button>
        {input}
      </SourceCard>
    )
  }
  return (
    <div className="dropzone">
      <ArchiveIcon size={22} className="dropzone-icon" />
      <span>
        Drop a <strong>.zip</strong> anywhere on the window
      </span>
      <button type="button" className="button small" onClick={() => void pick()}>
        Choose ZIP…
      </button>
      {input}
    </div>
  )
}

interface GitPanelProps {
  draft: Draft
  branchError?: string
  onBlur: (field: 'source' | 'gitBranch') => void
}

function GitPanel({ draft, branchError, onBlur }: GitPanelProps): React.JSX.Element {
  return (
    <>
      <GitFields draft={draft} branchError={branchError} onBlur={onBlur} />
      <RepoPicker pickedUrl={draft.gitUrl} />
    </>
  )
}

function GitFields({ draft, branchError, onBlur }: GitPanelProps): React.JSX.Element {
  return (
    <div className="git-fields">
      <label className="stack grow">
        <span className="sublabel">Repository URL</span>
        <input
          type="text"
          inputMode="url"
          className="input mono"
          placeholder="https://github.com/owner/repo.git"
          value={draft.gitUrl}
          onChange={(e) => updateDraft({ gitUrl: e.target.value, sourceError: undefined })}
          onBlur={() => onBlur('source')}
          aria-describedby="source-error"
          spellCheck={false}
          autoComplete="off"
        />
      </label>
      <div className="stack branch">
        <label className="stack">
          <span className="sublabel">Branch (optional)</span>
          <input
            type="text"
            className="input mono"
            placeholder="default branch"
            value={draft.gitBranch}
            onChange={(e) => updateDraft({ gitBranch: e.target.value })}
            onBlur={() => onBlur('gitBranch')}
            aria-invalid={Boolean(branchError)}
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        {branchError && <span className="field-error">{branchError}</span>}
      </div>
    </div>
  )
}

interface CardProps {
  icon: React.ReactNode
  name: string
  detail: string
  mono?: boolean
  children: React.ReactNode
}

function SourceCard({ icon, name, detail, mono = true, children }: CardProps): React.JSX.Element {
  return (
    <div className="source-card">
      <span className="source-card-icon">{icon}</span>
      <span className="source-card-text">
        <strong className="ellipsis">{name}</strong>
        <span className={mono ? 'muted mono small ellipsis' : 'muted small ellipsis'} title={detail}>
          {detail}
        </span>
      </span>
      <span className="source-card-actions">{children}</span>
    </div>
  )
}
