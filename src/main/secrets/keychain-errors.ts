import { endpointLabel } from '../../shared/secret-endpoints'
import type { SecretName } from '../../shared/system'
import { AppError } from '../errors'

/** How each secret is named in messages. */
export const SECRET_LABELS: Record<SecretName, string> = { openai: 'model API key', github: 'GitHub token' }

/** The first line of what the keychain library said, with any secret value blotted out. */
export function keychainReason(err: unknown, ...values: string[]): string {
  let text = err instanceof Error ? err.message : String(err)
  for (const value of values) if (value) text = text.split(value).join('***')
  return (text.split('\n')[0] ?? '').trim().slice(0, 300) || 'unknown error'
}

/** A keychain operation that failed, as an error the user can act on; never carries the secret (`values`). */
export function keychainError(
  action: 'read' | 'save' | 'delete',
  name: SecretName,
  err: unknown,
  ...values: string[]
): AppError {
  const verb = { read: 'read the', save: 'save the', delete: 'delete the' }[action]
  return new AppError('internal', `Could not ${verb} ${SECRET_LABELS[name]} in the OS keychain.`, {
    hint:
      'Make sure your keychain is unlocked (on Linux: GNOME Keyring or KWallet running in your session), ' +
      'then try again. Restarting codex-sys lets it keep keys for the session only if the keychain stays unusable.',
    details: { reason: keychainReason(err, ...values) },
  })
}

/**
 * Why the keychain can't be used, with what to do, for the status the UI shows (`keychainProblem`).
 * `err` is what the probe ran into.
 */
export function explainKeychainProblem(err: unknown, platform: string = process.platform): string {
  const reason = keychainReason(err)
  const session = 'Keys you enter are kept for this session only (in memory, never written to disk).'
  if (platform !== 'linux') {
    return `The OS keychain is not usable (${reason}). ${session} Unlock or repair your keychain and restart codex-sys.`
  }
  const installKeyring =
    'Install and start a Secret Service provider — GNOME Keyring (Debian/Ubuntu: apt-get install gnome-keyring) ' +
    'or KWallet — in your desktop session, then restart codex-sys.'
  if (/timed out|did not answer|did not receive a reply/i.test(reason)) {
    return `The keychain (Secret Service) did not answer in time: it may be waiting for its password. ${session} Unlock your login keyring and restart codex-sys.`
  }
  if (/no result found|locked|prompt|dismissed/i.test(reason)) {
    return (
      `The Secret Service has no unlocked default keyring (${reason}). ${session} ` +
      'Unlock or create your login keyring (for example with Seahorse, "Passwords and Keys"), then restart codex-sys.'
    )
  }
  if (/ServiceUnknown|org\.freedesktop\.secrets|not provided/i.test(reason)) {
    return `No Secret Service is running on the D-Bus session bus (${reason}). ${session} ${installKeyring}`
  }
  if (/dbus|d-bus|socket|autolaunch|bus address|connect/i.test(reason)) {
    return `No D-Bus session bus is reachable, so the Secret Service can't be asked (${reason}). ${session} ${installKeyring}`
  }
  if (/cannot find module|native binding|failed to load/i.test(reason)) {
    return `The keychain module could not load on this system (${reason}). ${session}`
  }
  return `The OS keychain failed (${reason}). ${session} ${installKeyring}`
}

/** The setting that names where each secret goes, as Settings labels it. */
const ENDPOINT_SETTINGS: Record<SecretName, string> = {
  openai: 'Model → Base URL',
  github: 'GitHub → GitHub API URL',
}

/**
 * A stored secret asked for `endpoint` while it is bound to `boundTo` (or, for a value stored before secrets
 * were bound, to nothing): nothing is sent, and the user is told how to let it go there. Never the value.
 */
export function endpointChangedError(
  name: SecretName,
  boundTo: string | undefined,
  endpoint: string,
): AppError {
  const label = SECRET_LABELS[name]
  const what = name === 'openai' ? 'key' : 'token'
  const now = endpointLabel(endpoint)
  const message = boundTo
    ? `Your ${label} was entered for ${endpointLabel(boundTo)}; the endpoint is now ${now}. ` +
      `Enter the ${what} again for ${now}, or confirm in Settings that it may be sent there.`
    : `Your ${label} was stored before codex-sys recorded which endpoint it is for, so it is not sent to ${now} ` +
      `until you confirm in Settings that it may be sent there, or enter the ${what} again.`
  return new AppError('secret_endpoint_changed', message, {
    hint:
      `If you did not change ${ENDPOINT_SETTINGS[name]} yourself, check it before you confirm: ` +
      `whoever set it would receive your ${what}.`,
    details: { name, boundTo: boundTo ?? null, endpoint },
  })
}
