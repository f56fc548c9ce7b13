import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { memoryBackend, type KeychainBackend } from '../../../src/main/secrets/keychain'
import { explainKeychainProblem } from '../../../src/main/secrets/keychain-errors'
import { openSecretStore, PROBE_ACCOUNT } from '../../../src/main/secrets/open-secret-store'
import { createSecretStore, createSessionStore } from '../../../src/main/secrets/secret-store'

const SECRET = 'sk-test-5f1d2c9a8b7e6d5c4b3a'
const OPENAI = 'https://api.openai.com'
const GITHUB = 'https://api.github.com'

/** A keychain that works like memoryBackend and records what was asked of it. */
function recordingKeychain(): KeychainBackend & { calls: string[]; values: Map<string, string> } {
  const values = new Map<string, string>()
  const calls: string[] = []
  return {
    calls,
    values,
    get: async (account) => (calls.push(`get ${account}`), values.get(account) ?? null),
    set: async (account, value) => {
      calls.push(`set ${account}`)
      values.set(account, value)
    },
    delete: async (account) => (calls.push(`delete ${account}`), values.delete(account)),
  }
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('session store', () => {
  it('keeps secrets in memory and reports booleans, the session backend and the problem', async () => {
    const store = createSessionStore('No D-Bus session bus is reachable.')
    expect(await store.status()).toEqual({
      openai: false,
      github: false,
      bindings: {},
      backend: 'session',
      keychainProblem: 'No D-Bus session bus is reachable.',
    })
    await store.set('openai', `  ${SECRET}\n`, OPENAI)
    expect(await store.get('openai', OPENAI)).toBe(SECRET)
    expect(await store.get('github', GITHUB)).toBeUndefined()
    const status = await store.status()
    expect(status).toMatchObject({ openai: true, github: false, backend: 'session' })
    expect(JSON.stringify(status)).not.toContain(SECRET)
    await store.delete('openai')
    await store.delete('openai') // deleting what is absent is fine
    expect(await store.get('openai', OPENAI)).toBeUndefined()
    expect((await store.status()).openai).toBe(false)
  })

  it('refuses an empty secret and an unknown name', async () => {
    const store = createSessionStore('x')
    expect((await rejection(store.set('openai', '   ', OPENAI))).kind).toBe('invalid_input')
    expect((await rejection(store.set('nope' as 'openai', SECRET, OPENAI))).kind).toBe('invalid_input')
    const noHost = await rejection(store.set('openai', SECRET, 'not a url'))
    expect(noHost.kind).toBe('invalid_input')
    expect(JSON.stringify(noHost.toData())).not.toContain(SECRET)
    expect((await store.status()).openai).toBe(false)
  })

  it('is gone with the process: a second store knows nothing of the first', async () => {
    const first = createSessionStore('x')
    await first.set('github', SECRET, GITHUB)
    expect(await createSessionStore('x').get('github', GITHUB)).toBeUndefined()
  })
})

describe('keychain store over a backend', () => {
  it('stores each secret under its account and reports the keychain backend without a problem', async () => {
    const keychain = recordingKeychain()
    const store = createSecretStore(keychain, { backend: 'keychain' })
    await store.set('openai', SECRET, OPENAI)
    await store.set('github', 'ghp_token', GITHUB)
    expect([...keychain.values.keys()].sort()).toEqual(['github', 'openai'])
    const bound = (to: string) => ({ boundTo: to, changed: false })
    expect(await store.status()).toEqual({
      openai: true,
      github: true,
      bindings: { openai: bound(OPENAI), github: bound(GITHUB) },
      backend: 'keychain',
    })
    await store.delete('github')
    expect(await store.status()).toEqual({
      openai: true,
      github: false,
      bindings: { openai: bound(OPENAI) },
      backend: 'keychain',
    })
  })

  it('turns keychain failures into AppErrors that never carry the value', async () => {
    const broken: KeychainBackend = {
      get: async () => {
        throw new Error('Platform failure: collection is locked\n    at native code')
      },
      set: async (_account, value) => {
        throw new Error(`refused to store ${value}`)
      },
      delete: async () => {
        throw new Error('no result found')
      },
    }
    const store = createSecretStore(broken, { backend: 'keychain' })
    const saved = await rejection(store.set('openai', SECRET, OPENAI))
    expect(saved.kind).toBe('internal')
    expect(saved.message).toBe('Could not save the model API key in the OS keychain.')
    expect(saved.hint).toMatch(/unlocked/)
    expect(JSON.stringify(saved.toData())).not.toContain(SECRET)
    expect(saved.details).toEqual({ reason: 'refused to store ***' })
    const read = await rejection(store.get('github', GITHUB))
    expect(read.message).toBe('Could not read the GitHub token in the OS keychain.')
    expect(read.details).toEqual({ reason: 'Platform failure: collection is locked' })
    expect((await rejection(store.status())).kind).toBe('internal')
    expect((await rejection(store.delete('openai'))).message).toMatch(/delete the model API key/)
  })
})

describe('openSecretStore', () => {
  it('uses the keychain after a probe that writes, reads back and deletes a throwaway entry', async () => {
    const keychain = recordingKeychain()
    const store = await openSecretStore({ keychain: async () => keychain })
    expect(keychain.calls).toEqual([
      `set ${PROBE_ACCOUNT}`,
      `get ${PROBE_ACCOUNT}`,
      `delete ${PROBE_ACCOUNT}`,
    ])
    expect(keychain.values.size).toBe(0)
    expect(await store.status()).toEqual({ openai: false, github: false, bindings: {}, backend: 'keychain' })
    await store.set('openai', SECRET, OPENAI)
    expect(JSON.parse(keychain.values.get('openai')!)).toEqual({ v: 1, value: SECRET, endpoint: OPENAI })
    expect(await store.get('openai', OPENAI)).toBe(SECRET)
  })

  it('falls back to a session store when the keychain cannot be reached, and says why', async () => {
    const store = await openSecretStore({
      platform: 'linux',
      keychain: async () => {
        throw new Error(
          'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
        )
      },
    })
    const status = await store.status()
    expect(status.backend).toBe('session')
    expect(status.keychainProblem).toMatch(/^No D-Bus session bus is reachable/)
    expect(status.keychainProblem).toMatch(/gnome-keyring/)
    expect(status.keychainProblem).toMatch(/this session only/)
    await store.set('openai', SECRET, OPENAI)
    expect(await store.get('openai', OPENAI)).toBe(SECRET)
  })

  it('falls back when the Secret Service answers reads but has no keyring to write to', async () => {
    const keychain = memoryBackend()
    const store = await openSecretStore({
      platform: 'linux',
      keychain: async () => ({
        ...keychain,
        set: async () => {
          throw new Error("Couldn't access platform storage: Secret Service: no result found")
        },
      }),
    })
    const status = await store.status()
    expect(status.backend).toBe('session')
    expect(status.keychainProblem).toMatch(/no unlocked default keyring/)
  })

  it('gives up on a keychain that never answers', async () => {
    const store = await openSecretStore({
      platform: 'linux',
      probeTimeoutMs: 50,
      keychain: async () => ({ ...memoryBackend(), set: () => new Promise<void>(() => undefined) }),
    })
    const status = await store.status()
    expect(status.backend).toBe('session')
    expect(status.keychainProblem).toMatch(/did not answer in time/)
  })
})

describe('explainKeychainProblem', () => {
  it('names what is missing and what to do', () => {
    const noService = explainKeychainProblem(
      new Error('DBus error: The name org.freedesktop.secrets was not provided by any .service files'),
      'linux',
    )
    expect(noService).toMatch(/^No Secret Service is running/)
    expect(noService).toMatch(/KWallet/)
    expect(explainKeychainProblem(new Error('boom'), 'darwin')).toMatch(
      /^The OS keychain is not usable \(boom\)/,
    )
    expect(explainKeychainProblem(new Error('first line\nsecond line'), 'linux')).not.toMatch(/second line/)
  })
})
