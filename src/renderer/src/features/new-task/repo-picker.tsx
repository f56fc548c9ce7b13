import { useEffect, useState } from 'react'
import type { RepoSummary } from '../../../../shared/system'
import { ErrorView } from '../../lib/error-view'
import { relativeTime } from '../../lib/format'
import { navigate } from '../../lib/route'
import { updateDraft } from './draft'
import { useRepos } from './use-repos'
import './repo-picker.css'

/** How long typing pauses before the list is searched. */
export const SEARCH_DEBOUNCE_MS = 300

function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms)
    return () => clearTimeout(timer)
  }, [value, ms])
  return settled
}

const LockIcon = (): React.JSX.Element => (
  <svg
    width="12"
    height="12"
    viewBox="0 0 16 16"
    fill="none"
    stroke="currentColor"
    strokeWidth="1.5"
    aria-hidden="true"
  >
    <rect x="3" y="7" width="10" height="7" rx="1.5" />
    <path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" />
  </svg>
)

function RepoRow(props: { repo: RepoSummary; picked: boolean; onPick: () => void }): React.JSX.Element {
  const { repo, picked, onPick } = props
  return (
    <li>
      <button
        type="button"
        className={picked ? 'repo-row is-picked' : 'repo-row'}
        aria-pressed={picked}
        aria-label={repo.fullName}
        onClick={onPick}
      >
        <span className="repo-row-main">
          <span className="repo-name ellipsis">{repo.fullName}</span>
          {repo.private && (
            <span className="repo-badge private" title="Private repository">
              <LockIcon /> Private
            </span>
          )}
          {repo.fork && <span className="repo-badge">Fork</span>}
        </span>
        <span className="repo-row-meta muted small">
          {repo.description && <span className="ellipsis repo-desc">{repo.description}</span>}
          {repo.pushedAt && <span className="repo-pushed">pushed {relativeTime(repo.pushedAt)}</span>}
        </span>
      </button>
    </li>
  )
}

/**
 * "Your repositories" in the Git URL tab: searchable, paged ("Load more"), most recently pushed first;
 * picking one fills the Git URL and the branch. Without a token it says where to add one; a token GitHub
 * refuses (or one missing scopes) shows why, with the way to Settings.
 */
export function RepoPicker({ pickedUrl }: { pickedUrl: string }): React.JSX.Element {
  const [text, setText] = useState('')
  const query = useDebounced(text.trim(), SEARCH_DEBOUNCE_MS)
  const list = useRepos(query)
  const { access } = list

  if (access.state === 'checking') return <p className="repo-picker muted small">Checking GitHub…</p>
  if (access.state === 'no-token')
    return (
      <p className="repo-picker muted small">
        <button type="button" className="link" onClick={() => navigate({ page: 'settings' })}>
          Add a GitHub token in Settings
        </button>{' '}
        to pick from your repos.
      </p>
    )
  if (access.state === 'error')
    return (
      <div className="repo-picker">
        <ErrorView error={access.error} compact onRetry={list.retry} />
      </div>
    )

  const pick = (repo: RepoSummary): void =>
    updateDraft({ gitUrl: repo.cloneUrl, gitBranch: repo.defaultBranch, sourceError: undefined })

  return (
    <section className="repo-picker" aria-label="Your repositories">
      <div className="repo-picker-head">
        <span className="sublabel">
          Your repositories{access.login && <span className="muted"> · @{access.login}</span>}
        </span>
        <input
          type="search"
          className="input small repo-search"
          placeholder="Search repositories"
          aria-label="Search repositories"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
      </div>
      {list.error && <ErrorView error={list.error} compact onRetry={list.retry} />}
      <ul className="repo-list">
        {list.repos.map((repo) => (
          <RepoRow
            key={repo.fullName}
            repo={repo}
            picked={repo.cloneUrl === pickedUrl}
            onPick={() => pick(repo)}
          />
        ))}
      </ul>
      {!list.loading && !list.error && list.repos.length === 0 && (
        <p className="muted small">{query ? `No repositories match “${query}”.` : 'No repositories.'}</p>
      )}
      <div className="repo-picker-foot">
        {list.loading && (
          <span className="muted small" role="status">
            <span className="spinner" aria-hidden="true" /> Loading…
          </span>
        )}
        {list.hasMore && !list.loading && (
          <button type="button" className="button small" onClick={list.loadMore}>
            Load more
          </button>
        )}
      </div>
    </section>
  )
}
