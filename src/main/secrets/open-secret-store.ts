import type { SecretStore } from '../services'
import { explainKeychainProblem } from './keychain-errors'
import { openNapiKeychain, type KeychainBackend } from './keychain'
import { createSecretStore, createSessionStore } from './secret-store'

export interface OpenSecretStoreOptions {
  /** The keychain to use (default: the OS keychain through @napi-rs/keyring). */
  keychain?: () => Promise<KeychainBackend>
  /** How long the probe waits for the keychain before giving up on it (default 15 s). */
  probeTimeoutMs?: number
  platform?: string
}

/** The account the probe writes, reads back and deletes; never one of the real secrets. */
export const PROBE_ACCOUNT = 'codex-sys-probe'

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`The keychain did not answer within ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Proves the keychain works end to end: a throwaway entry is written, read back and deleted. Reading alone
 * is not enough: a Secret Service with no unlocked keyring answers reads (with nothing) and fails writes.
 */
async function probe(keychain: KeychainBackend): Promise<void> {
  const token = `probe-${process.pid}-${Date.now()}`
  await keychain.set(PROBE_ACCOUNT, token)
  const back = await keychain.get(PROBE_ACCOUNT)
  await keychain.delete(PROBE_ACCOUNT)
  if (back !== token) throw new Error('the keychain did not return what was just stored in it')
}

/**
 * The secret store for this machine: the OS keychain when it works, else a session-only store (memory, gone
 * when the app quits) whose status explains what is missing and what to do. Never plaintext on disk.
 */
export async function openSecretStore(opts: OpenSecretStoreOptions = {}): Promise<SecretStore> {
  const timeoutMs = opts.probeTimeoutMs ?? 15_000
  try {
    const keychain = await withTimeout((opts.keychain ?? openNapiKeychain)(), timeoutMs)
    await withTimeout(probe(keychain), timeoutMs)
    return createSecretStore(keychain, { backend: 'keychain' })
  } catch (err) {
    return createSessionStore(explainKeychainProblem(err, opts.platform))
  }
}
