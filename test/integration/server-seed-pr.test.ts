import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createAppServer } from '../../src/main/server/app-server'
import { requireDocker } from '../support/docker'
import { startGitServer, type GitServer } from '../support/git-server'
import { startGitHubDouble, type GitHubDouble } from '../support/github-double'
import { grepTree } from '../support/grep-tree'
import type { ScriptStep } from '../support/model-server'
import { withTestAppServer } from '../support/services'

/** The caller's token, given in the form only: the server has no GitHub token of its own. */
const TOKEN = 'ghp_seedFormToken_7e3a9c1f5b2d8e4a'
const B64 = Buffer.from(TOKEN).toString('base64')

/**
 * Looks for the token everywhere in the container without ever naming it there: it is decoded into a pipe
 * only (not an argument, not the environment), so grep finding it means the container held it.
 */
const HUNT =
  `printf %s ${B64} | base64 -d | grep -rlsFf - /tmp /home /workspace /proc/[0-9]*/environ ` +
  `/proc/[0-9]*/cmdline | sed 's/^/HELD BY /'; echo 'hunt done'; env | sort`

const script = (delayMs = 0): ScriptStep[] => [
  { toolCalls: [{ name: 'shell', args: { command: HUNT } }], delayMs },
  { toolCalls: [{ name: 'write_file', args: { path: 'src/cart.js', content: 'export const rate = 2\n' } }] },
  { toolCalls: [{ name: 'finish', args: { summary: 'Doubled the rate.' } }] },
]

/**
 * A public repository: reads go through without a token (this proxy adds the git server's for them), a
 * push only with the token the client itself sends.
 */
async function publicReads(git: GitServer): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(git.baseUrl)
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers }
    if ((req.url ?? '').includes('git-upload-pack')) headers.authorization = `Bearer ${TOKEN}`
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, close: () => new Promise((done) => server.close(() => done())) }
}

async function world(): Promise<{ github: GitHubDouble; git: GitServer; repoUrl: string }> {
  const git = await startGitServer({ token: TOKEN })
  const github = await startGitHubDouble({ token: TOKEN, gitServer: git })
  const proxy = await publicReads(git)
  onTestFinished(async () => {
    await proxy.close()
    await github.close()
    await git.close()
  })
  const repo = await github.addRepo({ name: 'shop', files: { 'src/cart.js': 'export const rate = 1\n' } })
  const path = new URL(repo.cloneUrl).pathname
  return { github, git, repoUrl: `${proxy.url}${path}` }
}

async function submit(url: string, repoUrl: string): Promise<string> {
  const form = new FormData()
  form.set('git_url', repoUrl)
  form.set('task_description', 'Double the rate')
  form.set('target_file', 'src/cart.js')
  form.set('github_token', TOKEN)
  const res = await fetch(`${url}/api/task`, { method: 'POST', body: form })
  expect(res.status).toBe(202)
  return ((await res.json()) as { task_id: string }).task_id
}

async function settled(url: string, id: string): Promise<Record<string, unknown>> {
  const started = Date.now()
  for (;;) {
    const body = (await (await fetch(`${url}/api/task/${id}/status`)).json()) as Record<string, unknown>
    if (body.Status === 'completed' || body.Status === 'failed') return body
    if (Date.now() - started > 150_000) throw new Error(`task still ${String(body.Status)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe("the seed's github_token", () => {
  it('opens the pull request by itself at review, with that token only, and keeps it nowhere', async () => {
    await requireDocker()
    const { github, git, repoUrl } = await world()
    const settings = { githubApiUrl: github.baseUrl }
    await withTestAppServer(
      { script: script(), settings, noToken: true },
      async ({ server, root, model }) => {
        const id = await submit(server.url, repoUrl)
        const done = await settled(server.url, id)
        expect(github.pulls).toHaveLength(1)
        const pr = github.pulls[0]!
        expect(pr).toMatchObject({ title: 'Double the rate', base: { ref: 'main' } })
        expect(pr.head.ref).toMatch(/^ai-changes-\d{8}-\d{6}$/)
        expect(done).toMatchObject({ ID: id, Status: 'completed', GitURL: repoUrl, status: 'review' })
        const prUrl = String(done.pr_url)
        expect(prUrl).toContain(`/pull/${pr.number}`)
        expect(done.Message).toBe(`Completed. PR URL: ${prUrl}`)
        const file = await fetch(`${server.url}/api/logs/${id}/pr_url.txt`)
        expect([file.status, await file.text()]).toEqual([200, prUrl])
        expect(await git.branchTip('octocat/shop', pr.head.ref)).toBeTruthy()
        // The push carried the caller's token itself (the proxy adds one to reads only); so did the API calls.
        const pushes = git.requests.filter((r) => r.url.includes('git-receive-pack'))
        expect(pushes.length).toBeGreaterThan(0)
        expect(pushes.every((r) => r.authorized)).toBe(true)
        expect(github.requests.filter((r) => !r.authorized)).toEqual([])
        expect(github.violations).toEqual([])

        // Nowhere: not in the container (the hunt ran there and found nothing), the model's requests, the
        // data dir (records, events, logs, git dirs, the marker), the uploads.
        const hunt = String(model.requests[1]!.body.messages.find((m) => m.role === 'tool')?.content)
        expect(hunt).toContain('hunt done')
        expect(hunt).toContain('PATH=')
        expect(hunt).not.toContain('HELD BY')
        expect(JSON.stringify(model.requests)).not.toContain(TOKEN)
        expect(await grepTree(root, TOKEN)).toEqual([])
        const events = await (await fetch(`${server.url}/api/logs/${id}/agent.log`)).text()
        expect(events).toContain('pull request #')
        expect(events).not.toContain(TOKEN)
      },
    )
  })

  it('after a restart the token is gone: no pull request, and the status says why', async () => {
    await requireDocker()
    const { github, repoUrl } = await world()
    const settings = { githubApiUrl: github.baseUrl }
    await withTestAppServer({ script: script(2000), settings, noToken: true }, async (env) => {
      const id = await submit(env.server.url, repoUrl)
      // The server process goes (its memory with it) while the task runs; the engine and data dir stay.
      await env.server.close()
      const again = await createAppServer(env.services, {
        host: '127.0.0.1',
        port: 0,
        noToken: true,
        rendererDir: join(env.root, 'no-renderer'),
        uploadDir: join(env.root, 'uploads'),
      })
      onTestFinished(() => again.close())
      const done = await settled(again.url, id)
      expect(done).toMatchObject({
        Status: 'failed',
        status: 'review',
        Message: expect.stringContaining('the server restarted before the task reached review'),
        error: { kind: 'interrupted' },
      })
      expect(github.pulls).toEqual([])
      const error = await fetch(`${again.url}/api/logs/${id}/error.txt`)
      expect(await error.text()).toContain('kept in memory only')
      expect((await fetch(`${again.url}/api/logs/${id}/pr_url.txt`)).status).toBe(404)
      expect(await grepTree(env.root, TOKEN)).toEqual([])
    })
  })

  it('a pull request GitHub refuses: failed, with its reason, and the change still in review', async () => {
    await requireDocker()
    const { github, repoUrl } = await world()
    github.failNext(
      422,
      { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest' },
      {},
      { method: 'POST', path: '/repos/octocat/shop/pulls' },
    )
    const settings = { githubApiUrl: github.baseUrl }
    await withTestAppServer({ script: script(), settings, noToken: true }, async ({ server, root }) => {
      const id = await submit(server.url, repoUrl)
      const done = await settled(server.url, id)
      expect(done).toMatchObject({
        Status: 'failed',
        status: 'review',
        Message: expect.stringMatching(/^The change is ready, but the pull request was not opened: /),
      })
      expect(github.pulls).toEqual([])
      expect(await grepTree(root, TOKEN)).toEqual([])
    })
  })
})
