import type { AppErrorData, ErrorKind, Result } from '../../../shared/errors'

/** What a user can do about an error: open Settings, re-check Docker, pick another source, or retry. */
export type ErrorActionKind = 'settings' | 'docker' | 'new-task' | 'retry'

export interface ErrorPresentation {
  title: string
  /** Shown when the error carries no hint of its own. */
  hint?: string
  action?: { kind: ErrorActionKind; label: string }
}

const settings = (label: string): ErrorPresentation['action'] => ({ kind: 'settings', label })
const retry: ErrorPresentation['action'] = { kind: 'retry', label: 'Try again' }
const newTask: ErrorPresentation['action'] = { kind: 'new-task', label: 'Choose another source' }

/** Every error kind, with a title and the next step the UI offers. */
export const ERROR_PRESENTATION: Record<ErrorKind, ErrorPresentation> = {
  invalid_input: { title: 'Check the input' },
  not_found: { title: 'Not found', hint: 'It may have been removed. Pick another task from the list.' },
  conflict: {
    title: 'Not possible right now',
    hint: 'Wait for the task to settle, then try again.',
    action: retry,
  },
  docker_unavailable: {
    title: 'Docker is not reachable',
    hint: 'Start the Docker engine, then check again.',
    action: { kind: 'docker', label: 'Check Docker' },
  },
  image_missing: {
    title: 'The agent image is missing',
    hint: 'Build it in Settings (a few minutes, once).',
    action: settings('Build in Settings'),
  },
  image_build_failed: {
    title: 'The agent image did not build',
    hint: 'Check the build output in Settings and your network, then build again.',
    action: settings('Open Settings'),
  },
  import_failed: { title: 'Import failed', action: newTask },
  unsafe_archive: {
    title: 'The archive was refused',
    hint: 'It has entries that would escape the workspace, or it is larger than the ZIP limits allow.',
    action: newTask,
  },
  unsafe_url: { title: 'The URL was refused', hint: 'Use an https://, ssh:// or git@ URL.', action: newTask },
  git_failed: { title: 'Git failed', action: retry },
  auth_failed: {
    title: 'Authentication failed',
    hint: 'Check the API key or the GitHub token in Settings.',
    action: settings('Open Settings'),
  },
  secret_endpoint_changed: {
    title: 'Your key was held back',
    hint: 'The endpoint changed since the key was entered. In Settings, enter it again or confirm the new endpoint.',
    action: settings('Review in Settings'),
  },
  rate_limited: {
    title: 'Rate limit reached',
    hint: 'Wait until the limit resets and try again; nothing was lost.',
  },
  model_error: {
    title: 'The model call failed',
    hint: 'Check the model name, base URL and API key in Settings.',
    action: settings('Check model settings'),
  },
  budget_exceeded: {
    title: 'Budget reached',
    hint: 'Raise the step, token or cost limits in Settings, or send a narrower follow-up.',
    action: settings('Raise limits'),
  },
  timeout: {
    title: 'Time limit reached',
    hint: 'Raise the time limit.',
    action: settings('Raise time limit'),
  },
  cancelled: { title: 'Cancelled' },
  interrupted: {
    title: 'Interrupted',
    hint: 'The app stopped while the task ran. Start the task again.',
    action: { kind: 'new-task', label: 'New task' },
  },
  oom: {
    title: 'Out of memory',
    hint: 'Give the sandbox more memory in Settings.',
    action: settings('Raise memory'),
  },
  container_failed: {
    title: 'The sandbox failed',
    hint: 'Check that Docker is running and healthy.',
    action: { kind: 'docker', label: 'Check Docker' },
  },
  setup_failed: { title: 'The setup script failed', hint: 'Open setup.log to see why.' },
  disk_full: { title: 'The disk is full', hint: 'Free some disk space and try again.', action: retry },
  unsupported: { title: 'Not available here' },
  internal: { title: 'Something went wrong', action: retry },
}

export interface DescribedError {
  title: string
  message: string
  hint?: string
  action?: ErrorPresentation['action']
}

export function describeError(error: AppErrorData): DescribedError {
  const p = ERROR_PRESENTATION[error.kind] ?? ERROR_PRESENTATION.internal
  return { title: p.title, message: error.message, hint: error.hint ?? p.hint, action: p.action }
}

/**
 * Field-level messages of an invalid_input error, by dotted path ("limits.maxSteps"). The engine reports
 * them as "path: message; path: message"; `details.issues` ({ path, message }[]) is read when present.
 */
export function fieldErrors(error: AppErrorData | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!error || error.kind !== 'invalid_input') return out
  const issues = error.details?.issues
  if (Array.isArray(issues)) {
    for (const issue of issues as { path?: unknown; message?: unknown }[]) {
      const path = Array.isArray(issue.path) ? issue.path.join('.') : String(issue.path ?? '')
      if (path && typeof issue.message === 'string') out[path] ??= humanizeIssue(issue.message)
    }
    if (Object.keys(out).length) return out
  }
  // The settings store's refusal: "Invalid settings: a.b: message; c: message."
  const listed = error.message.replace(/^Invalid settings: /, '').replace(/\.$/, '')
  for (const part of listed.split('; ')) {
    const m = /^([\w.]+): (.+)$/.exec(part)
    if (m && m[1] !== 'input') out[m[1]!] ??= humanizeIssue(m[2]!)
  }
  return out
}

/** A schema message in words a user reads ("At least 1." rather than "Too small: expected number to be >=1"). */
export function humanizeIssue(message: string): string {
  const atLeast = /expected (?:number|int) to be >=?\s*([\d.e+]+)/i.exec(message)
  if (atLeast) return `At least ${Number(atLeast[1]).toLocaleString('en-US')}.`
  const atMost = /expected (?:number|int) to be <=?\s*([\d.e+]+)/i.exec(message)
  if (atMost) return `At most ${Number(atMost[1]).toLocaleString('en-US')}.`
  if (/expected string to have >=1 characters/i.test(message)) return 'Required.'
  if (/invalid url/i.test(message)) return 'Enter a full URL, like https://api.example.com/v1.'
  if (/expected int/i.test(message)) return 'Enter a whole number.'
  if (/expected number/i.test(message)) return 'Enter a number.'
  return message
}

/** An error for something that threw where a Result was expected (a broken transport). */
export function thrownToError(err: unknown): AppErrorData {
  const message = err instanceof Error ? err.message : String(err)
  return {
    kind: 'internal',
    message: message.split('\n')[0] || 'Unexpected error',
    hint: 'Check that the app (or the server) is still running, then try again.',
  }
}

/** Runs a call and turns a rejection into an error Result, so callers handle one shape. */
export async function settle<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await call()
  } catch (err) {
    return { ok: false, error: thrownToError(err) }
  }
}
