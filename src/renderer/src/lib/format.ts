import type { TaskSource, TaskStatus } from '../../../shared/task'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** "just now", "3 min ago", "2 h ago", "yesterday", "4 days ago", then a date. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return ''
  const ago = now - then
  if (ago < 45_000) return 'just now'
  if (ago < HOUR) return `${Math.max(1, Math.round(ago / MINUTE))} min ago`
  if (ago < DAY) return `${Math.round(ago / HOUR)} h ago`
  if (ago < 2 * DAY) return 'yesterday'
  if (ago < 7 * DAY) return `${Math.floor(ago / DAY)} days ago`
  const date = new Date(then)
  const sameYear = date.getFullYear() === new Date(now).getFullYear()
  return date.toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
  })
}

/** The last segment of a path, for either separator. */
export function baseName(path: string): string {
  const parts = path.replace(/[\\/]+$/, '').split(/[\\/]/)
  return parts[parts.length - 1] || path
}

/** "owner/repo" from https://host/owner/repo(.git), ssh://git@host/owner/repo or git@host:owner/repo. */
export function repoFromGitUrl(url: string): string {
  const trimmed = url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
  const scp = /^[\w.-]+@[\w.-]+:(?!\/\/)(.+)$/.exec(trimmed)
  let path = scp?.[1]
  if (path === undefined) {
    try {
      path = new URL(trimmed).pathname
    } catch {
      return trimmed
    }
  }
  const segments = path.split('/').filter(Boolean)
  return segments.slice(-2).join('/') || trimmed
}

/** A short name for where a task's code came from: folder name, ZIP name, or owner/repo. */
export function sourceLabel(source: TaskSource): string {
  switch (source.kind) {
    case 'folder':
    case 'zip':
      return baseName(source.path)
    case 'git':
      return source.branch ? `${repoFromGitUrl(source.url)} @ ${source.branch}` : repoFromGitUrl(source.url)
  }
}

/** The full text of a source, for search and tooltips. */
export function sourceText(source: TaskSource): string {
  return source.kind === 'git' ? `${source.url} ${source.branch ?? ''}`.trim() : source.path
}

export const STATUS_LABELS: Record<TaskStatus, string> = {
  queued: 'Queued',
  preparing: 'Preparing',
  setting_up: 'Setting up',
  running: 'Running',
  review: 'Ready for review',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0'
  return usd < 0.01 ? '<$0.01' : `$${usd.toFixed(2)}`
}

export function formatTokens(n: number): string {
  if (n < 1000) return String(n)
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

/** "45 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
