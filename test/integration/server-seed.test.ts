import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { requireDocker } from '../support/docker'
import { rawRequest } from '../support/http'
import { startGitServer } from '../support/git-server'
import { grepTree } from '../support/grep-tree'
import { buildZip } from '../support/make-zip'
import { withTestAppServer } from '../support/services'

/** Polls as the seed's clients do, until its Status is completed or failed; returns every Status seen. */
async function pollStatus(
  url: string,
  auth: Record<string, string>,
  id: string,
): Promise<{ body: Record<string, unknown>; seen: string[] }> {
  const started = Date.now()
  const seen: string[] = []
  for (;;) {
    const res = await fetch(`${url}/api/task/${id}/status`, { headers: auth })
    const body = (await res.json()) as Record<string, unknown>
    if (seen.at(-1) !== body.Status) seen.push(String(body.Status))
    if (body.Status === 'completed' || body.Status === 'failed') return { body, seen }
    if (Date.now() - started > 150_000) throw new Error(`task still ${String(body.Status)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const SCRIPT = [
  { toolCalls: [{ name: 'read_file', args: { path: 'src/main.py' } }] },
  { toolCalls: [{ name: 'write_file', args: { path: 'src/main.py', content: 'print("hello, seed")\n' } }] },
  { toolCalls: [{ name: 'finish', args: { summary: 'Greeted the seed.' } }] },
]

describe("the seed's REST calls", () => {
  it('takes a multipart ZIP task, reports its status and serves its logs', async () => {
    await requireDocker()
    await withTestAppServer({ script: SCRIPT }, async ({ server, model, root, auth, token, services }) => {
      const form = new FormData()
      form.set('task_description', 'Change the greeting')
      form.set('target_file', 'src/main.py')
      form.set('github_token', 'ghp_never_used_1234')
      const zip = buildZip([
        { name: 'README.md', data: '# demo\n' },
        { name: 'src/main.py', data: 'print("hi")\n' },
      ])
      form.set('zip_file', new Blob([zip], { type: 'application/zip' }), 'code.zip')
      // Without the token: refused before the form is read.
      const anonymous = await fetch(`${server.url}/api/task`, { method: 'POST', body: form })
      expect(anonymous.status).toBe(401)
      expect(await anonymous.json()).toMatchObject({ ok: false, error: { kind: 'auth_failed' } })
      expect(await readdir(join(root, 'uploads')).catch(() => [])).toEqual([])
      // A plain client: no custom header, as the seed's page and curl send it; the token as curl does.
      const res = await fetch(`${server.url}/api/task`, { method: 'POST', body: form, headers: auth })
      expect(res.status).toBe(202)
      const created = (await res.json()) as { task_id: string; status: string }
      expect(created).toEqual({
        message: 'Task created successfully',
        task_id: expect.stringMatching(/^test-/),
        status: 'pending',
        logs_url: `/api/logs/${created.task_id}/`,
      })
      const id = created.task_id

      expect((await fetch(`${server.url}/api/task/${id}/status`)).status).toBe(401)
      const { body: done, seen } = await pollStatus(server.url, auth, id)
      const record = services.engine.get(id)
      // The seed's fields (its TaskStatus values), next to ours.
      expect(done).toEqual({
        ID: id,
        Status: 'completed',
        Message:
          'Completed: 1 file changed; the diff is in diff.patch. No pull request: github_token needs a GitHub git_url.',
        TaskDescription: 'Change the greeting',
        TargetFile: 'src/main.py',
        GitURL: '',
        ZipFileName: 'code.zip',
        CreatedAt: record.createdAt,
        UpdatedAt: record.updatedAt,
        task_id: id,
        status: 'review',
        diff: { files: 1, additions: 1, deletions: 1 },
      })
      expect(seen.every((s) => ['pending', 'preparing', 'running', 'completed'].includes(s))).toBe(true)
      expect(seen.at(-1)).toBe('completed')
      // The github_token of a task without a GitHub source is dropped: never stored anywhere.
      expect(await grepTree(root, 'ghp_never_used_1234')).toEqual([])
      const firstPrompt = JSON.stringify(model.requests[0]!.body.messages)
      expect(firstPrompt).toContain('src/main.py')

      expect((await fetch(`${server.url}/api/logs/${id}/agent.log`)).status).toBe(401)
      // The API never takes the token in its address (it would end up in logs and histories).
      const inQuery = await fetch(`${server.url}/api/logs/${id}/agent.log?token=${token}`)
      expect(inQuery.status).toBe(400)
      const log = await fetch(`${server.url}/api/logs/${id}/agent.log`, { headers: auth })
      expect(log.status).toBe(200)
      expect(log.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await log.text()).toContain('write_file')
      const patch = await fetch(`${server.url}/api/logs/${id}/diff.patch`, { headers: auth })
      expect(patch.headers.get('content-type')).toBe('text/x-diff; charset=utf-8')
      const text = await patch.text()
      expect(text).toContain('-print("hi")')
      expect(text).toContain('+print("hello, seed")')
      expect((await fetch(`${server.url}/api/logs/${id}/setup.log`, { headers: auth })).status).toBe(404)
      // The seed's own names.
      const seedLog = async (name: string): Promise<[number, string | null, string]> => {
        const answer = await fetch(`${server.url}/api/logs/${id}/${name}`, { headers: auth })
        return [answer.status, answer.headers.get('content-type'), await answer.text()]
      }
      const prompt = await seedLog('prompt.txt')
      expect(prompt.slice(0, 2)).toEqual([200, 'text/plain; charset=utf-8'])
      expect(prompt[2]).toContain('Change the greeting')
      expect(await seedLog('llm_response.txt')).toEqual([
        200,
        'text/plain; charset=utf-8',
        'Greeted the seed.\n',
      ])
      const container = await seedLog('docker_container.log')
      expect(container[0]).toBe(200)
      expect(container[2]).toMatch(/\d\d:\d\d:\d\d read_file src\/main\.py\n.*print\("hi"\)/)
      expect(container[2]).toContain('write_file src/main.py')
      for (const name of ['pr_url.txt', 'error.txt']) {
        const [code, , body] = await seedLog(name)
        expect([name, code, JSON.parse(body)]).toEqual([
          name,
          404,
          { ok: false, error: { kind: 'not_found', message: `${name} has not been written yet.` } },
        ])
      }
      // The uploaded archive was only needed for the import.
      expect(await readdir(join(root, 'uploads'))).toEqual([])
    })
  })

  it('reports cloning while the clone runs, then failed with the error and its hint, and error.txt', async () => {
    const gitServer = await startGitServer({ delayMs: 1500 })
    onTestFinished(() => gitServer.close())
    await withTestAppServer({}, async ({ server, auth, services }) => {
      const form = new FormData()
      form.set('task_description', 'Fix it')
      form.set('target_file', 'main.go')
      form.set('git_url', `${gitServer.baseUrl}/missing.git`)
      const res = await fetch(`${server.url}/api/task`, { method: 'POST', body: form, headers: auth })
      const id = ((await res.json()) as { task_id: string }).task_id
      const { body, seen } = await pollStatus(server.url, auth, id)
      expect(seen).toContain('cloning')
      expect(seen.at(-1)).toBe('failed')
      const error = services.engine.get(id).error!
      expect(error.hint).toBeTruthy()
      expect(body).toMatchObject({
        ID: id,
        Status: 'failed',
        Message: `${error.message} ${error.hint}`,
        GitURL: `${gitServer.baseUrl}/missing.git`,
        ZipFileName: '',
        TargetFile: 'main.go',
        status: 'failed',
        error,
      })
      const text = await fetch(`${server.url}/api/logs/${id}/error.txt`, { headers: auth })
      expect([text.status, await text.text()]).toEqual([200, `${error.message} ${error.hint}\n`])
      expect((await fetch(`${server.url}/api/logs/${id}/diff.patch`, { headers: auth })).status).toBe(404)
    })
  })

  it('refuses incomplete forms with what is missing', async () => {
    await withTestAppServer({}, async ({ server, root, auth, services }) => {
      const post = async (fields: Record<string, string | Blob>): Promise<[number, unknown]> => {
        const form = new FormData()
        for (const [k, v] of Object.entries(fields)) form.set(k, v)
        const res = await fetch(`${server.url}/api/task`, { method: 'POST', body: form, headers: auth })
        return [res.status, await res.json()]
      }
      const zip = new Blob([buildZip([{ name: 'a.txt', data: 'a' }])])
      expect(await post({ zip_file: zip })).toEqual([
        400,
        { ok: false, error: { kind: 'invalid_input', message: 'task_description is required.' } },
      ])
      expect((await post({ task_description: 'x' }))[1]).toMatchObject({
        error: { message: 'git_url or zip_file is required.' },
      })
      expect(
        (await post({ task_description: 'x', git_url: 'https://example.com/r.git', zip_file: zip }))[0],
      ).toBe(400)
      expect((await post({ task_description: 'x', zip_file: zip, target_file: '../../etc/passwd' }))[0]).toBe(
        400,
      )
      // A Git URL is checked before any task is stored (a record would keep what the URL carried).
      expect(await post({ task_description: 'x', git_url: 'file:///etc' })).toEqual([
        400,
        { ok: false, error: expect.objectContaining({ kind: 'unsafe_url' }) },
      ])
      expect(services.engine.list()).toEqual([])
      const json = await fetch(`${server.url}/api/task`, { method: 'POST', body: '{}', headers: auth })
      expect(json.status).toBe(415)
      // Refused forms leave no uploads behind.
      expect(await readdir(join(root, 'uploads')).catch(() => [])).toEqual([])
    })
  })

  it('never serves anything but the allowed artifacts of a known task', async () => {
    await withTestAppServer({ script: [] }, async ({ server, services, auth }) => {
      const task = await services.engine.submit({
        source: { kind: 'folder', path: '/nonexistent-folder-for-test' },
        prompt: 'nothing',
      })
      const id = task.id
      const status = async (path: string): Promise<number> =>
        (await rawRequest(server.url, { path, headers: auth })).status
      expect(await status(`/api/task/${id}/status`)).toBe(200)
      for (const path of [
        `/api/logs/${id}/task.json`,
        `/api/logs/${id}/conversation.json`,
        `/api/logs/${id}/../task.json`,
        `/api/logs/${id}/..%2Ftask.json`,
        `/api/logs/${id}/..%2F..%2F..%2Fetc%2Fpasswd`,
        `/api/logs/${id}/%2e%2e`,
        `/api/logs/${id}/agent.log%00`,
        `/api/logs/${id}/agent%2Elog`,
        `/api/logs/${id}/artifacts/agent.log`,
        `/api/logs/..%2F${id}/agent.log`,
        `/api/logs/../tasks/${id}/agent.log`,
        `/api/logs/nope/agent.log`,
        `/api/task/..%2F${id}/status`,
        `/api/task/nope/status`,
      ]) {
        expect([path, await status(path)]).toEqual([path, 404])
      }
      const page = await rawRequest(server.url, { path: '/../../../../etc/passwd', headers: auth })
      expect(page.body).not.toContain('root:')
    })
  })
})
