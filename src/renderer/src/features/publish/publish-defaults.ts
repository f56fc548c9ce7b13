import type { AppErrorData } from '../../../../shared/errors'
import type { TaskRecord } from '../../../../shared/task'

const pad = (n: number): string => String(n).padStart(2, '0')

/** `${prefix}-YYYYMMDD-HHMMSS` in local time (the engine adds a suffix if the name is taken). */
export function defaultBranch(prefix: string, at: Date = new Date()): string {
  const date = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}`
  const time = `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`
  return `${prefix}-${date}-${time}`
}

const MAX_LISTED = 100

/** The pull request's body: the task, the agent's summary, the files it includes. */
export function defaultBody(task: TaskRecord, files: string[]): string {
  const parts = [`## Task\n\n${task.prompt.trim()}`]
  if (task.summary?.trim()) parts.push(`## Summary\n\n${task.summary.trim()}`)
  if (files.length) {
    const listed = files.slice(0, MAX_LISTED).map((f) => `- \`${f}\``)
    if (files.length > MAX_LISTED) listed.push(`- … and ${files.length - MAX_LISTED} more`)
    parts.push(`## Files changed (${files.length})\n\n${listed.join('\n')}`)
  }
  parts.push('_Made with codex-sys._')
  return parts.join('\n\n')
}

/** A GitHub remote (github.com, or a GitHub Enterprise host set as the API URL). */
export function isGitHubUrl(url: string, apiUrl = 'https://api.github.com'): boolean {
  const host = hostOf(url)
  if (!host) return false
  if (host === 'github.com' || host === 'www.github.com') return true
  const apiHost = hostOf(apiUrl)
  return Boolean(apiHost && apiHost !== 'api.github.com' && apiHost === host)
}

function hostOf(url: string): string | undefined {
  const scp = /^[^@/:\s]+@([^/:\s]+):/.exec(url)
  if (scp) return scp[1]!.toLowerCase()
  try {
    return new URL(url).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

/** Whether a failed publish means the user can't push here, so a fork is the way (details.canFork). */
export function offersFork(error: AppErrorData): boolean {
  if (error.details?.canFork === true) return true
  if (error.details?.canFork === false) return false
  if (error.kind !== 'auth_failed' && error.kind !== 'conflict' && error.kind !== 'git_failed') return false
  return /permission|not allowed to push|denied|403|write access/i.test(
    `${error.message} ${error.hint ?? ''}`,
  )
}

/** The paths a refused apply names (details.paths, or details.files). */
export function conflictPaths(error: AppErrorData): string[] {
  const list = error.details?.paths ?? error.details?.files ?? error.details?.conflicts
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : []
}
