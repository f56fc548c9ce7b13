import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { rawRequest, startRecorder, type RawResponse, type Recorder } from '../../support/http'
import { withTestAppServer, type TestAppServer } from '../../support/services'
import { expectHeld, plantSecrets, type Planted } from './hostile'

/**
 * Hostile requests against the real headless server over a real engine, holding the planted API key and
 * GitHub token. Each case is refused with the right status and a clear message, changes nothing (settings,
 * secrets, tasks, uploads), reaches no attacker's listener, and leaks no planted secret.
 */

export const JSON_CALL = { 'content-type': 'application/json', 'x-codex-sys': '1' }

export interface Case extends TestAppServer {
  planted: Planted
  /** A listener on 127.0.0.1 standing for the attacker: nothing may ever reach it. */
  attacker: Recorder
  /** The `Cookie` header a browser holds after visiting the server's ?token= address ('' with noToken). */
  cookie: string
  /** Every answer the case got, searched for the planted secrets at the end. */
  answers: RawResponse[]
  /** A request exactly as written (any Host, unnormalized path); its answer is recorded. */
  send(opts: Parameters<typeof rawRequest>[1]): Promise<RawResponse>
  call(name: string, input: unknown, headers?: Record<string, string>): Promise<RawResponse>
}

interface State {
  settings: unknown
  secrets: unknown
  tasks: string[]
  taskDirs: string[]
  uploads: string[]
}

async function stateOf(env: TestAppServer): Promise<State> {
  return {
    settings: structuredClone(env.services.settings.get()),
    secrets: await env.services.secrets.status(),
    tasks: env.services.engine.list().map((t) => t.id),
    taskDirs: await readdir(join(env.root, 'data', 'tasks')).catch(() => []),
    uploads: await readdir(join(env.root, 'uploads')).catch(() => []),
  }
}

type CaseOptions = Omit<Parameters<typeof withTestAppServer>[0], 'root' | 'apiKey' | 'githubToken'> & {
  /** What the user did before the attack (part of the state that must not change). */
  prepare?: (env: TestAppServer) => Promise<void>
}

/** Runs one hostile case and then proves it held. */
export async function hostile(opts: CaseOptions, fn: (c: Case) => Promise<void>): Promise<void> {
  const planted = await plantSecrets()
  const attacker = await startRecorder()
  try {
    await withTestAppServer(
      { ...opts, root: planted.root, apiKey: planted.apiKey, githubToken: planted.githubToken },
      async (env) => {
        const answers: RawResponse[] = []
        const send = async (request: Parameters<typeof rawRequest>[1]): Promise<RawResponse> => {
          const answer = await rawRequest(env.server.url, request)
          answers.push(answer)
          return answer
        }
        // A server without a token (noToken) sets no cookie.
        let cookie = ''
        if (env.token !== undefined) {
          const visit = await rawRequest(env.server.url, { path: `/?token=${env.token}` })
          expect(visit.status).toBe(303)
          cookie = String(visit.headers['set-cookie']).split(';')[0]!
        }
        await opts.prepare?.(env)
        const before = await stateOf(env)
        await fn({
          ...env,
          planted,
          attacker,
          cookie,
          answers,
          send,
          call: (name, input, headers = {}) =>
            send({
              method: 'POST',
              path: `/api/call/${name}`,
              headers: { ...JSON_CALL, ...headers },
              body: JSON.stringify(input),
            }),
        })
        expect(await stateOf(env), 'nothing changed').toEqual(before)
        expect(attacker.requests, "requests that reached the attacker's listener").toEqual([])
        expect(env.model.requests, 'model calls').toEqual([])
        await expectHeld(planted, {
          model: env.model,
          also: answers.map((a, i) => ({ what: `answer #${i + 1}`, text: JSON.stringify(a) })),
        })
      },
    )
  } finally {
    await attacker.close()
  }
}

export const errorOf = (res: RawResponse): { kind?: string; message?: string } => {
  const body = JSON.parse(res.body) as { ok?: boolean; error?: { kind?: string; message?: string } }
  expect(body.ok, res.body).toBe(false)
  return body.error ?? {}
}

export const NEEDS_TOKEN = { kind: 'auth_failed', message: 'This server needs its access token.' }
export const OTHER_SITE = { kind: 'invalid_input', message: 'Requests from other sites are refused.' }
