/**
 * A stored secret goes only to the endpoint it was entered for: `settings.update` that points the model base
 * URL or the GitHub API elsewhere gets that endpoint nothing, until the user confirms it
 * (`secrets.allowEndpoint`). Through the real handlers, the real engine and real HTTP servers on 127.0.0.1.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHandlers, invokeCall } from '../../src/main/engine/handlers'
import type { CallName, CallOutputs } from '../../src/shared/contract'
import { endpointOf } from '../../src/shared/secret-endpoints'
import { startAuthRecorder } from '../support/auth-recorder'
import { waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer } from '../support/model-server'
import { openTestServices, TEST_API_KEY } from '../support/services'
import { tempDir } from '../support/tmp'

const TOKEN = 'ghp_bound_token_5e4d3c2b1a0f9e8d7c6b'

type Handlers = ReturnType<typeof createHandlers>

/** Calls through the contract's validation, as a transport does; fails the test on an error Result. */
async function call<N extends CallName>(
  handlers: Handlers,
  name: N,
  input: unknown,
): Promise<CallOutputs[N]> {
  const result = await invokeCall(handlers, name, input)
  if (!result.ok) throw new Error(`${name} failed: ${JSON.stringify(result.error)}`)
  return result.value
}

describe('secrets bound to their endpoints', () => {
  it('a task after the base URL moved sends the key nowhere, and to the new server once confirmed', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'notes.txt': 'one\n' })
    const home = await startModelServer([])
    const moved = await startModelServer([{ toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }])
    const services = await openTestServices({ dataDir: join(root, 'data'), baseURL: home.baseURL })
    const handlers = createHandlers(services)
    try {
      await call(handlers, 'settings.update', { baseUrl: moved.baseURL })
      const status = await call(handlers, 'secrets.status', {})
      expect(status.bindings?.openai).toEqual({
        boundTo: endpointOf(home.baseURL),
        endpoint: endpointOf(moved.baseURL),
        changed: true,
      })

      const first = await call(handlers, 'tasks.submit', {
        source: { kind: 'folder', path: repo },
        prompt: 'Say done',
      })
      const failed = await waitForStatus(services.engine, first.id, ['failed'])
      expect(failed.error).toMatchObject({
        kind: 'secret_endpoint_changed',
        details: { name: 'openai', boundTo: endpointOf(home.baseURL), endpoint: endpointOf(moved.baseURL) },
      })
      expect(moved.requests).toEqual([])
      expect(home.requests).toEqual([])
      const events = await call(handlers, 'tasks.events', { id: first.id })
      expect(JSON.stringify([failed, events])).not.toContain(TEST_API_KEY)

      // The user confirms the endpoint they were shown: now, and only now, the key goes there.
      await call(handlers, 'secrets.allowEndpoint', {
        name: 'openai',
        endpoint: status.bindings!.openai!.endpoint,
      })
      const second = await call(handlers, 'tasks.submit', {
        source: { kind: 'folder', path: repo },
        prompt: 'Say done',
      })
      await waitForStatus(services.engine, second.id, ['review'])
      expect(moved.requests.length).toBeGreaterThan(0)
      expect(moved.requests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`)
      expect(home.requests).toEqual([])
    } finally {
      await services.engine.close()
      await Promise.all([home.close(), moved.close()])
    }
  })

  it('github.status against a moved API host sends no token until confirmed, and only to that host', async () => {
    const root = await tempDir()
    const first = await startAuthRecorder('mona')
    const second = await startAuthRecorder('attacker')
    const model = await startModelServer([])
    // The token was entered while the settings named the first host.
    const services = await openTestServices({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      githubToken: TOKEN,
      settings: { githubApiUrl: first.url },
    })
    const handlers = createHandlers(services)
    const saw = (recorder: typeof first): boolean =>
      recorder.requests.some((r) => JSON.stringify(r.headers).includes(TOKEN))
    try {
      expect(await call(handlers, 'github.status', {})).toMatchObject({ tokenSet: true, login: 'mona' })
      expect(first.requests.at(-1)?.headers.authorization).toMatch(new RegExp(`${TOKEN}$`))

      await call(handlers, 'settings.update', { githubApiUrl: second.url })
      const held = await call(handlers, 'github.status', {})
      expect(held).toMatchObject({
        tokenSet: true,
        error: {
          kind: 'secret_endpoint_changed',
          details: { name: 'github', boundTo: first.url, endpoint: second.url },
        },
      })
      expect(held.login).toBeUndefined()
      const repos = await invokeCall(handlers, 'github.repos', { page: 1 })
      expect(repos).toMatchObject({ ok: false, error: { kind: 'secret_endpoint_changed' } })
      expect(second.requests).toEqual([])
      expect(JSON.stringify([held, repos])).not.toContain(TOKEN)

      // A confirmation of any other endpoint than the one in effect is refused and moves nothing.
      const stale = await invokeCall(handlers, 'secrets.allowEndpoint', {
        name: 'github',
        endpoint: first.url,
      })
      expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } })
      expect(await call(handlers, 'github.status', {})).toMatchObject({
        error: { kind: 'secret_endpoint_changed' },
      })
      expect(second.requests).toEqual([])

      await call(handlers, 'secrets.allowEndpoint', { name: 'github', endpoint: second.url })
      expect(await call(handlers, 'github.status', {})).toMatchObject({ tokenSet: true, login: 'attacker' })
      expect(saw(second)).toBe(true)

      // Bound to the second host now: moving back to the first needs a confirmation again.
      const before = first.requests.length
      await call(handlers, 'settings.update', { githubApiUrl: first.url })
      expect(await call(handlers, 'github.status', {})).toMatchObject({
        error: { kind: 'secret_endpoint_changed' },
      })
      expect(first.requests.length).toBe(before)
    } finally {
      await services.engine.close()
      await Promise.all([first.close(), second.close(), model.close()])
    }
  })
})
