import { useCallback, useEffect, useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { RepoSummary } from '../../../../shared/system'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'

export type RepoAccess =
  | { state: 'checking' }
  | { state: 'no-token' }
  | { state: 'error'; error: AppErrorData }
  | { state: 'ready'; login?: string }

export interface RepoList {
  access: RepoAccess
  repos: RepoSummary[]
  loading: boolean
  hasMore: boolean
  error?: AppErrorData
  loadMore: () => void
  retry: () => void
}

const byPushed = (a: RepoSummary, b: RepoSummary): number =>
  (b.pushedAt ?? '').localeCompare(a.pushedAt ?? '')

/**
 * The user's GitHub repositories for the picker: whether a token is set and works (`secrets.status`,
 * `github.status`), then `github.repos` page by page for the (already debounced) query, most recently
 * pushed first. An answer for an older query is dropped.
 */
export function useRepos(query: string): RepoList {
  const [access, setAccess] = useState<RepoAccess>({ state: 'checking' })
  const [repos, setRepos] = useState<RepoSummary[]>([])
  const [page, setPage] = useState(0)
  const [hasMore, setHasMore] = useState(false)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<AppErrorData>()
  const [attempt, setAttempt] = useState(0)
  const request = useRef(0)

  useEffect(() => {
    let live = true
    setAccess({ state: 'checking' })
    void (async () => {
      const secrets = await settle(() => api['secrets.status']({}))
      if (!live) return
      if (!secrets.ok) return setAccess({ state: 'error', error: secrets.error })
      if (!secrets.value.github) return setAccess({ state: 'no-token' })
      const status = await settle(() => api['github.status']({}))
      if (!live) return
      if (!status.ok) return setAccess({ state: 'error', error: status.error })
      if (status.value.error) return setAccess({ state: 'error', error: status.value.error })
      if (!status.value.tokenSet) return setAccess({ state: 'no-token' })
      setAccess({ state: 'ready', login: status.value.login })
    })()
    return () => {
      live = false
    }
  }, [attempt])

  const fetchPage = useCallback(async (q: string, n: number): Promise<void> => {
    const mine = ++request.current
    setLoading(true)
    setError(undefined)
    const result = await settle(() => api['github.repos']({ page: n, ...(q ? { query: q } : {}) }))
    if (mine !== request.current) return
    setLoading(false)
    if (!result.ok) return setError(result.error)
    const { repos: more, page: got, hasMore: again } = result.value
    setRepos((current) => {
      const seen = new Set(n === 1 ? [] : current.map((r) => r.fullName))
      const merged = (n === 1 ? [] : current).concat(more.filter((r) => !seen.has(r.fullName)))
      return merged.sort(byPushed)
    })
    setPage(got)
    setHasMore(again)
  }, [])

  const ready = access.state === 'ready'
  useEffect(() => {
    if (!ready) return
    setRepos([])
    void fetchPage(query, 1)
  }, [ready, query, fetchPage])

  return {
    access,
    repos,
    loading,
    hasMore,
    error,
    loadMore: () => {
      if (!loading && hasMore) void fetchPage(query, page + 1)
    },
    retry: () => {
      if (access.state !== 'ready') setAttempt((n) => n + 1)
      else void fetchPage(query, 1)
    },
  }
}
