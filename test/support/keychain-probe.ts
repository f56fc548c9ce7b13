/**
 * Runs the real secret store in a process of its own (spawned by test/integration/keychain.test.ts under a
 * D-Bus session with gnome-keyring, or with no session bus at all) and prints one JSON line describing what
 * happened. The secret comes in through PROBE_SECRET and is never printed.
 *
 *   node --import tsx test/support/keychain-probe.ts write          # set, read back, status, handler outputs
 *   node --import tsx test/support/keychain-probe.ts verify-delete  # read back, delete, check it is gone
 */
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { openSecretStore } from '../../src/main/secrets/open-secret-store'
import { defaultSettings } from '../../src/shared/settings'
import { callSecretHandlers } from './secret-handlers'

export interface ProbeReport {
  mode: string
  backend: 'keychain' | 'session'
  keychainProblem?: string
  /** The value read back equals the one set (write) or the one a previous process set (verify-delete). */
  readBack: boolean
  statusAfter: { openai: boolean; github: boolean }
  /** write: no settings.* / secrets.* call through the real handlers returned the value. */
  handlerOutputsClean?: boolean
  /** verify-delete: get() returns nothing after delete(). */
  goneAfterDelete?: boolean
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? ''
  const secret = process.env.PROBE_SECRET ?? ''
  if (!secret || !['write', 'verify-delete'].includes(mode))
    throw new Error('usage: PROBE_SECRET=… probe write|verify-delete')
  const store = await openSecretStore({ probeTimeoutMs: 20_000 })
  // Where the key is bound: the endpoint of the default settings, as the handlers bind it too.
  const endpoint = currentEndpoints(defaultSettings()).openai
  const before = await store.status()
  const report: ProbeReport = {
    mode,
    backend: before.backend,
    keychainProblem: before.keychainProblem,
    readBack: false,
    statusAfter: { openai: false, github: false },
  }
  if (mode === 'write') {
    await store.set('openai', secret, endpoint)
    report.readBack = (await store.get('openai', endpoint)) === secret
    // The UI's side: every settings/secrets call through the contract and the handlers (sets the OpenAI key
    // again, sets and deletes the GitHub token) and none of their outputs may carry the value.
    const results = await callSecretHandlers(store, secret)
    report.handlerOutputsClean = results.every((r) => !JSON.stringify(r.result).includes(secret))
  } else {
    report.readBack = (await store.get('openai', endpoint)) === secret
    await store.delete('openai')
    report.goneAfterDelete = (await store.get('openai', endpoint)) === undefined
  }
  const after = await store.status()
  report.statusAfter = { openai: after.openai, github: after.github }
  process.stdout.write(`${JSON.stringify(report)}\n`)
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(
    `keychain probe failed: ${message.split(process.env.PROBE_SECRET || '\0').join('***')}\n`,
  )
  process.exit(1)
})
