/**
 * Errors that cross a boundary (engine → UI, IPC, HTTP, CLI) as plain data.
 * `kind` is what the UI switches on; `message` says what failed; `hint` says what to do next.
 */
export const ERROR_KINDS = [
  'invalid_input',
  'not_found',
  'conflict',
  'docker_unavailable',
  'image_missing',
  'image_build_failed',
  'import_failed',
  'unsafe_archive',
  'unsafe_url',
  'git_failed',
  'auth_failed',
  /** A stored secret would go to another endpoint than it was entered for; `details`: { name, boundTo, endpoint }. */
  'secret_endpoint_changed',
  'rate_limited',
  'model_error',
  'budget_exceeded',
  'timeout',
  'cancelled',
  'interrupted',
  'oom',
  'container_failed',
  'setup_failed',
  'disk_full',
  'unsupported',
  'internal',
] as const

export type ErrorKind = (typeof ERROR_KINDS)[number]

export interface AppErrorData {
  kind: ErrorKind
  message: string
  hint?: string
  details?: Record<string, unknown>
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorData }
