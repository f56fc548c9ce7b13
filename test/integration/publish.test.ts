import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { openTestEngine, waitForStatus } from '../support/engine'
import { appErrorOf, writeFiles } from '../support/files'
import { startGitServer } from '../support/git-server'
import { startGitHubDouble } from '../support/github-double'
import { grepTree } from '../support/grep-tree'
import { startModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'

const execFileAsync = promisify(execFile)
const TOKEN = 'ghp_publishToken_5e4d3c2b1a0f9e8d'

/** The agent edits two files and adds a third. */
const EDITS: ScriptStep[] = [
  {
    toolCalls: [{ name: 'write_file', args: { path: 'src/app.js', content: 'export const version = 2\n' } }],
  },
  { toolCalls: [{ name: 'write_file', args: { path: 'notes.txt', content: 'scratch\n' } }] },
  { toolCalls: [{ name: 'finish', args: { summary: 'Bumped the version.' } }] },
]

async function runToReview(engine: TaskEngine, source: Parameters<TaskEngine['submit']>[0]['source']) {
  const { id } = await engine.submit({ source, prompt: 'Bump the version' })
  await waitForStatus(engine, id, ['review'])
  return id
}

/** git against the in-process servers: asynchronous, or the servers could not answer. */
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await execFileAsync('git', args, { cwd, encoding: 'utf8' })).stdout.trim()

describe('publishing a reviewed change', () => {
  it('opens a pull request on GitHub from the included files, and a retry after a failure reuses the push', async () => {
    const server = await startGitServer({ token: TOKEN })
    const github = await startGitHubDouble({ token: TOKEN, gitServer: server })
    const repo = await github.addRepo({
      name: 'shop',
      defaultBranch: 'main',
      files: { 'src/app.js': 'export const version = 1\n', 'README.md': '# shop\n' },
    })
    const model = await startModelServer(EDITS)
    const root = await tempDir()
    const dataDir = join(root, 'data')
    const engine = await openTestEngine({
      dataDir,
      baseURL: model.baseURL,
      githubToken: TOKEN,
      settings: { githubApiUrl: github.baseUrl },
    })
    try {
      const id = await runToReview(engine, { kind: 'git', url: repo.cloneUrl })
      await engine.setExcluded(id, ['notes.txt'])

      // The pull request creation fails once, after the push: nothing is lost.
      github.failNext(
        502,
        { message: 'Server Error' },
        {},
        { method: 'POST', path: '/repos/octocat/shop/pulls' },
      )
      const first = await appErrorOf(
        engine.publish({
          kind: 'pull_request',
          id,
          title: 'Bump the version',
          body: 'Done by the agent.',
          draft: true,
          fork: false,
        }),
      )
      expect(first.message).not.toContain(TOKEN)
      const pending = engine.get(id).pendingPublish!
      expect(pending.branch).toMatch(/^ai-changes-\d{8}-\d{6}$/)
      const pushesBefore = server.requests.filter(
        (r) => r.method === 'POST' && r.url.includes('git-receive-pack'),
      ).length

      // The retry finds the pushed branch: no second push, one pull request.
      const outcome = await engine.publish({
        kind: 'pull_request',
        id,
        title: 'Bump the version',
        body: 'Done by the agent.',
        draft: true,
        fork: false,
      })
      const pushesAfter = server.requests.filter(
        (r) => r.method === 'POST' && r.url.includes('git-receive-pack'),
      ).length
      expect(pushesAfter).toBe(pushesBefore)
      expect(outcome).toMatchObject({
        kind: 'pull_request',
        repo: 'octocat/shop',
        branch: pending.branch,
        draft: true,
        forked: false,
      })
      expect(github.pulls).toHaveLength(1)
      expect(github.pulls[0]).toMatchObject({
        title: 'Bump the version',
        body: 'Done by the agent.',
        draft: true,
      })
      expect(github.pulls[0]!.base.ref).toBe('main')
      expect(outcome.kind === 'pull_request' && outcome.url).toContain('/octocat/shop/pull/')

      // The branch holds the included change only, on top of the commit the task started from.
      const clone = join(root, 'check')
      const auth = `http.extraHeader=Authorization: Bearer ${TOKEN}`
      await git(root, '-c', auth, 'clone', '-q', repo.cloneUrl, clone)
      await git(clone, '-c', auth, 'fetch', '-q', 'origin', pending.branch)
      expect(await git(clone, 'show', `FETCH_HEAD:src/app.js`)).toBe('export const version = 2')
      expect(await git(clone, 'ls-tree', '--name-only', '-r', 'FETCH_HEAD')).not.toContain('notes.txt')
      expect(await git(clone, 'rev-parse', 'FETCH_HEAD^')).toBe(await git(clone, 'rev-parse', 'origin/main'))

      expect(engine.get(id).outcomes).toEqual([outcome])
      expect(engine.get(id).pendingPublish).toBeUndefined()
      expect(await grepTree(dataDir, TOKEN)).toEqual([])
      expect(github.violations).toEqual([])
    } finally {
      await engine.close()
      await model.close()
      await github.close()
      await server.close()
    }
  })

  it('opens it from a fork when the token cannot push to the repository', async () => {
    const server = await startGitServer({ token: TOKEN })
    const github = await startGitHubDouble({ token: TOKEN, gitServer: server })
    const upstream = await github.addRepo({
      owner: 'acme',
      name: 'tools',
      canPush: false,
      files: { 'src/app.js': 'export const version = 1\n' },
    })
    const model = await startModelServer(EDITS)
    const root = await tempDir()
    const engine = await openTestEngine({
      dataDir: join(root, 'data'),
      baseURL: model.baseURL,
      githubToken: TOKEN,
      settings: { githubApiUrl: github.baseUrl },
    })
    try {
      const id = await runToReview(engine, { kind: 'git', url: upstream.cloneUrl })
      const request = { kind: 'pull_request' as const, id, title: 'Bump', body: '', draft: false }
      const refused = await appErrorOf(engine.publish({ ...request, fork: false }))
      expect(refused).toMatchObject({ kind: 'conflict', details: { canFork: true } })
      const outcome = await engine.publish({ ...request, fork: true })
      expect(outcome).toMatchObject({ kind: 'pull_request', repo: 'acme/tools', forked: true })
      expect(github.forks.map((f) => `${f.owner.login}/${f.name}`)).toEqual(['octocat/tools'])
      expect(github.pulls.map((p) => p.head.repo.owner.login)).toEqual(['octocat'])
      expect(github.violations).toEqual([])
    } finally {
      await engine.close()
      await model.close()
      await github.close()
      await server.close()
    }
  })

  it('applies to the folder, exports a patch that applies with git apply, and a ZIP of the result', async () => {
    const root = await tempDir()
    const folder = join(root, 'project')
    await writeFiles(folder, { 'src/app.js': 'export const version = 1\n', 'README.md': '# p\n' })
    const model = await startModelServer(EDITS)
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const id = await runToReview(engine, { kind: 'folder', path: folder })
      await engine.setExcluded(id, ['notes.txt'])

      const patch = await engine.publish({ kind: 'export', id, format: 'patch' })
      expect(patch).toMatchObject({ kind: 'exported', artifact: 'export.patch' })
      const copy = join(root, 'copy')
      await writeFiles(copy, { 'src/app.js': 'export const version = 1\n', 'README.md': '# p\n' })
      execFileSync('git', ['apply', engine.store.artifactPath(id, 'export.patch')], { cwd: copy })
      expect(await readFile(join(copy, 'src/app.js'), 'utf8')).toBe('export const version = 2\n')

      const zip = await engine.publish({ kind: 'export', id, format: 'zip' })
      expect(zip).toMatchObject({ kind: 'exported', artifact: 'export.zip' })
      const listing = execFileSync('unzip', ['-Z1', engine.store.artifactPath(id, 'export.zip')], {
        encoding: 'utf8',
      })
      expect(listing.split('\n').filter(Boolean).sort()).toEqual(['README.md', 'src/', 'src/app.js'])

      // Edit before accepting: the saved edit is part of what gets applied.
      await engine.saveFile(id, 'src/app.js', 'export const version = 3\n')
      const applied = await engine.publish({ kind: 'apply', id, mode: 'files' })
      expect(applied).toMatchObject({ kind: 'applied', mode: 'files', files: ['src/app.js'] })
      expect(await readFile(join(folder, 'src/app.js'), 'utf8')).toBe('export const version = 3\n')
      expect(engine.get(id).outcomes?.map((o) => o.kind)).toEqual(['exported', 'exported', 'applied'])
      const log = await engine.artifact(id, 'agent.log')
      expect(log).toContain('outcome: wrote 1 files')
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('leaves .git aliases the agent wrote out of the review, refuses to apply a device name, and applies the rest', async () => {
    const root = await tempDir()
    const folder = join(root, 'project')
    await writeFiles(folder, { 'src/app.js': 'export const version = 1\n' })
    await git(folder, 'init', '-q')
    await git(folder, 'add', '-A')
    await git(folder, '-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-m', 'first')
    const hook = join(folder, '.git', 'hooks', 'pre-commit')
    await writeFile(hook, '#!/bin/sh\n# the user’s own\n', { mode: 0o755 })
    const write = (path: string, content: string): ScriptStep => ({
      toolCalls: [{ name: 'write_file', args: { path, content } }],
    })
    const model = await startModelServer([
      write('GIT~1/hooks/pre-commit', '#!/bin/sh\necho owned\n'),
      write('.git./hooks/post-checkout', '#!/bin/sh\necho owned\n'),
      write('con.txt', 'a device on Windows\n'),
      write('src/app.js', 'export const version = 2\n'),
      { toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] },
    ])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const id = await runToReview(engine, { kind: 'folder', path: folder })
      const diff = await engine.diff(id)
      expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['con.txt', 'src/app.js'])
      expect(diff.skipped?.map((s) => s.path)).toEqual([
        '.git./hooks/post-checkout',
        'GIT~1/hooks/pre-commit',
      ])
      const gitBefore = execFileSync('find', ['.git', '-type', 'f', '-newer', hook], {
        cwd: folder,
        encoding: 'utf8',
      })

      const refused = await appErrorOf(engine.publish({ kind: 'apply', id, mode: 'files' }))
      expect(refused.kind).toBe('invalid_input')
      expect(refused.message).toContain('"con.txt" has "con.txt", a reserved device name on Windows')
      expect(await readFile(join(folder, 'src/app.js'), 'utf8')).toBe('export const version = 1\n')

      const zip = await engine.publish({ kind: 'export', id, format: 'zip' })
      expect(zip).toMatchObject({ kind: 'exported' })
      const listing = execFileSync('unzip', ['-Z1', engine.store.artifactPath(id, 'export.zip')], {
        encoding: 'utf8',
      })
      expect(listing.split('\n').filter(Boolean).sort()).toEqual(['src/', 'src/app.js'])

      await engine.setExcluded(id, ['con.txt'])
      const applied = await engine.publish({ kind: 'apply', id, mode: 'files' })
      expect(applied).toMatchObject({ kind: 'applied', files: ['src/app.js'] })
      expect(execFileSync('ls', ['-A', folder], { encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual([
        '.git',
        'src',
      ])
      expect(await readFile(hook, 'utf8')).toBe('#!/bin/sh\n# the user’s own\n')
      expect(
        execFileSync('find', ['.git', '-type', 'f', '-newer', hook], { cwd: folder, encoding: 'utf8' }),
      ).toBe(gitBefore)
    } finally {
      await engine.close()
      await model.close()
    }
  })

  it('refuses to edit outside the workspace', async () => {
    const root = await tempDir()
    const folder = join(root, 'project')
    await writeFiles(folder, { 'a.txt': 'a\n' })
    const model = await startModelServer([{ text: 'Nothing to do.' }])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const id = await runToReview(engine, { kind: 'folder', path: folder })
      for (const path of [
        '../escape.txt',
        '/etc/passwd',
        '.git/config',
        'a/../../b',
        'GIT~1/config',
        '.git./x',
      ]) {
        const e = await appErrorOf(engine.saveFile(id, path, 'x'))
        expect(e.kind, `${path}: ${e.message}`).toBe('invalid_input')
      }
    } finally {
      await engine.close()
      await model.close()
    }
  })
})
