/**
 * The seam between the secret store and wherever secrets live: a backend keeps one string per account.
 * `openNapiKeychain` is the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux — GNOME Keyring or KWallet) through @napi-rs/keyring; `memoryBackend` keeps them for this session.
 */
export interface KeychainBackend {
  get(account: string): Promise<string | null>
  set(account: string, value: string): Promise<void>
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>
}

/** The keychain service name every account is stored under. */
export const KEYCHAIN_SERVICE = 'codex-sys'

/**
 * The OS keychain. On Linux the Secret Service is required: the library would otherwise fall back to the
 * kernel keyring, which forgets everything at logout and is not what a user means by "keychain".
 * Rejects when the native module cannot load on this platform.
 */
export async function openNapiKeychain(service = KEYCHAIN_SERVICE): Promise<KeychainBackend> {
  const { AsyncEntry } = await import('@napi-rs/keyring')
  // The constructor itself can throw (no D-Bus session): build entries inside each call.
  const entry = (account: string) => new AsyncEntry(service, account, { linux: { store: 'secret-service' } })
  return oneAtATime({
    get: async (account) => (await entry(account).getPassword()) ?? null,
    set: async (account, value) => entry(account).setPassword(value),
    delete: async (account) => entry(account).deleteCredential(),
  })
}

/**
 * The backend's calls one after another, in the order they were made. Each call of the library is a new
 * Secret Service client negotiating its own session, and gnome-keyring-daemon was seen aborting
 * (GLib-ERROR in aes_negotiate, taking the user's keyring down with it) while two did so at once.
 */
export function oneAtATime(backend: KeychainBackend): KeychainBackend {
  let last: Promise<unknown> = Promise.resolve()
  const queued = <T>(call: () => Promise<T>): Promise<T> => {
    const next = last.then(call)
    last = next.catch(() => undefined)
    return next
  }
  return {
    get: (account) => queued(() => backend.get(account)),
    set: (account, value) => queued(() => backend.set(account, value)),
    delete: (account) => queued(() => backend.delete(account)),
  }
}

/** Secrets in this process's memory only, gone when it exits. */
export function memoryBackend(): KeychainBackend {
  const values = new Map<string, string>()
  return {
    get: async (account) => values.get(account) ?? null,
    set: async (account, value) => {
      values.set(account, value)
    },
    delete: async (account) => values.delete(account),
  }
}
