import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { PublishRequest } from '../../src/main/engine/publish'
import { openTestEngine, waitForStatus } from '../support/engine'
import { auditStore, orphansOf } from '../support/engine-child-audit'
import { appErrorOf } from '../support/files'
import { startGitServer } from '../support/git-server'
import { startGitHubDouble } from '../support/github-double'
import { basicError } from '../support/github-factories'
import { startModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'
import { expectFault } from './support/fault-table'

/**
 * The GitHub double answering 502, then a used-up rate limit (403 with x-ratelimit-remaining: 0 on every
 * call), then 429 with Retry-After, while a reviewed task publishes its pull request: each publish fails
 * with a message that says what failed and when to try again, the task stays in review with its change,
 * and the retry after the double recovers opens one pull request from the one pushed branch.
 */
const TOKEN = 'ghp_faultsPublish_0a1b2c3d4e5f6a7b'
const execFileAsync = promisify(execFile)

const EDITS: ScriptStep[] = [
  {
    toolCalls: [{ name: 'write_file', args: { path: 'src/app.js', content: 'export const version = 2\n' } }],
  },
  { toolCalls: [{ name: 'finish', args: { summary: 'Bumped the version.' } }] },
]

describe('GitHub double answering 5xx and rate limits mid-publish', () => {
  it('fails each publish with a labelled message, loses nothing, and the retry opens one pull request', async () => {
    const server = await startGitServer({ token: TOKEN })
    const github = await startGitHubDouble({ token: TOKEN, gitServer: server })
    const repo = await github.addRepo({ name: 'shop', files: { 'src/app.js': 'export const version = 1\n' } })
    const model = await startModelServer(EDITS)
    const dataDir = join(await tempDir(), 'data')
    const engine = await openTestEngine({
      dataDir,
      baseURL: model.baseURL,
      githubToken: TOKEN,
      settings: { githubApiUrl: github.baseUrl },
    })
    try {
      const { id } = await engine.submit({ source: { kind: 'git', url: repo.cloneUrl }, prompt: 'Bump it' })
      await waitForStatus(engine, id, ['review'])
      const request: PublishRequest = {
        kind: 'pull_request',
        id,
        title: 'Bump the version',
        body: 'Done by the agent.',
        draft: false,
        fork: false,
      }
      const pulls = { method: 'POST', path: '/repos/octocat/shop/pulls' }
      const stillInReview = async (): Promise<void> => {
        const task = engine.get(id)
        expect(task.status).toBe('review')
        expect(task.outcomes ?? []).toEqual([])
        expect((await engine.diff(id)).fileDiffs.map((f) => f.newPath)).toEqual(['src/app.js'])
      }

      // 1. A 502 on the pull request, after the push.
      github.failNext(502, basicError('Server Error', 502), {}, pulls)
      const bad = await appErrorOf(engine.publish(request))
      expect(bad.message).toMatch(
        /^GitHub failed on the pull request from octocat:ai-changes-\S+ into octocat\/shop:main \(HTTP 502\)\.$/,
      )
      expect(bad.hint).toMatch(/Try again in a moment/)
      await stillInReview()
      const pushed = engine.get(id).pendingPublish
      expect(pushed?.branch).toMatch(/^ai-changes-/)

      // 2. The rate limit used up: every call answers 403 with x-ratelimit-remaining: 0.
      const reset = Math.floor(Date.now() / 1000) + 600
      github.setRateLimit({ remaining: 0, reset })
      const limited = await appErrorOf(engine.publish(request))
      expect(limited.kind).toBe('rate_limited')
      expect(limited.message).toMatch(
        /GitHub's API rate limit is used up \(.+\); it resets at \d\d:\d\d \(in 10 min\)\./,
      )
      expect(limited.hint).toMatch(/nothing was lost/)
      await stillInReview()

      // 3. Recovered, but the pull request is answered 429 with Retry-After.
      github.setRateLimit({ remaining: 5000, reset })
      github.failNext(
        429,
        basicError('You have exceeded a secondary rate limit.', 429),
        { 'retry-after': '120' },
        pulls,
      )
      const secondary = await appErrorOf(engine.publish(request))
      expect(secondary.kind).toBe('rate_limited')
      expect(secondary.message).toMatch(/resets at \d\d:\d\d \(in 2 min\)/)
      await stillInReview()
      expect(engine.get(id).pendingPublish).toEqual(pushed)

      // 4. The double has recovered: the retry opens the pull request from the branch pushed at first.
      const outcome = await engine.publish(request)
      expect(outcome).toMatchObject({ kind: 'pull_request', branch: pushed!.branch })
      expect(github.pulls).toHaveLength(1)
      const heads = await remoteBranches(repo.cloneUrl)
      expect(heads.filter((b) => b.startsWith('ai-changes-'))).toEqual([pushed!.branch])
      const pushes = server.requests.filter((r) => r.method === 'POST' && r.url.includes('git-receive-pack'))
      expect(pushes).toHaveLength(1)
      expect(github.violations).toEqual([])

      const task = engine.get(id)
      const audit = await auditStore(dataDir, [id], [id])
      const row = {
        fault: 'GitHub 502, 403 rate limit, 429 Retry-After mid-publish',
        finalState: `${task.status}; publish failed ${bad.kind}, ${limited.kind}, ${secondary.kind}; retry → ${github.pulls.length} pull request`,
        expectedState: 'review; publish failed internal, rate_limited, rate_limited; retry → 1 pull request',
        lost: audit.lost,
        orphans: await orphansOf(id),
      }
      expectFault(row, audit.notes.join('; '))
      // The engine answers a new call after all this.
      expect(engine.list().map((t) => t.id)).toContain(id)
    } finally {
      await engine.close()
      await model.close()
      await github.close()
      await server.close()
    }
  })
})

/** The branch names of the remote (git ls-remote with the token). */
async function remoteBranches(url: string): Promise<string[]> {
  const { stdout } = await execFileAsync(
    'git',
    ['-c', `http.extraHeader=Authorization: Bearer ${TOKEN}`, 'ls-remote', '--heads', url],
    { encoding: 'utf8' },
  )
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[1]!.replace('refs/heads/', ''))
}
