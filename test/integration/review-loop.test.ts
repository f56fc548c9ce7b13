/**
 * The review loop end to end over the headless server's HTTP API, on the real engine and Docker: hunk
 * and line exclusions honoured by every way out, comments and "Request changes" fed to the model, each
 * turn's own diff, discard and its undo, and a turn that changes nothing.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { requireDocker } from '../support/docker'
import { writeFiles } from '../support/files'
import { startGitServer } from '../support/git-server'
import { startGitHubDouble } from '../support/github-double'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'
import {
  API,
  asFile,
  call,
  changedPaths,
  commitAll,
  edit,
  fileOf,
  finish,
  git,
  gitRaw,
  httpApi,
  hunksOf,
  lastUserMessage,
  numberedLines,
  refusal,
  tool,
  UTIL_V0,
  UTIL_V1,
  waitForTurn,
  withLine,
} from '../support/review-api'

const execFileAsync = promisify(execFile)
const TOKEN = 'ghp_reviewLoopToken_0a1b2c3d4e5f6a7b'
const TURN_TIMEOUT = 400_000

const GET_V1 = '  return db.users.find(String(id))'
const GET_V2 = '  return id === undefined ? null : db.users.find(String(id))'
const LIST_V1 = '  return db.users.all({ limit: 100 })'
const REASON = "don't touch the public API"
const NOTE = 'Please make getUser safe for a missing id.'
const COMMENT_CHANGED = 'Guard against a missing id here.'
const COMMENT_KEPT = 'Is 10 the right default?'

describe('the review loop over the HTTP API, on the real engine', () => {
  it(
    'excludes a hunk with a reason, comments, requests changes, diffs each turn, and opens a PR of the selection',
    async () => {
      await requireDocker()
      const gitServer = await startGitServer({ token: TOKEN })
      const github = await startGitHubDouble({ token: TOKEN, gitServer })
      const repo = await github.addRepo({
        name: 'shop',
        defaultBranch: 'main',
        files: { 'src/api.js': asFile(API), 'src/util.js': UTIL_V0 },
      })
      const script = [
        edit('src/api.js', 'return db.users.find(id)', GET_V1.trim()),
        edit('src/api.js', 'return db.users.all()', LIST_V1.trim()),
        tool('write_file', { path: 'src/util.js', content: UTIL_V1 }),
        finish('Tightened the API.'),
        // Turn 2, after "Request changes": the commented line changes, nothing else.
        edit('src/api.js', GET_V1.trim(), GET_V2.trim()),
        finish('getUser handles a missing id.'),
      ]
      const settings = { githubApiUrl: github.baseUrl }
      try {
        await withTestAppServer({ script, settings, githubToken: TOKEN }, async (env) => {
          const api = httpApi(env)
          const submitted = await call(api, 'tasks.submit', {
            source: { kind: 'git', url: repo.cloneUrl },
            prompt: 'Tighten the API',
          })
          const id = submitted.id
          await waitForTurn(api, id, 1)

          // Turn 1 left two hunks in src/api.js and a change of src/util.js.
          const whole = await call(api, 'tasks.diff', { id })
          expect(changedPaths(whole)).toEqual(['src/api.js', 'src/util.js'])
          const [getHunk, listHunk] = hunksOf(whole, 'src/api.js')
          expect(hunksOf(whole, 'src/api.js')).toHaveLength(2)
          expect(getHunk!.newStart).toBeLessThan(listHunk!.newStart)

          // Leave out the second hunk with a reason; comment on a changed line and on one turn 2 keeps.
          await call(api, 'tasks.setExcluded', {
            id,
            paths: [],
            hunks: [{ path: 'src/api.js', key: listHunk!.key, reason: REASON }],
          })
          await call(api, 'tasks.comment', {
            action: 'add',
            id,
            path: 'src/api.js',
            side: 'new',
            startLine: 2,
            endLine: 2,
            text: COMMENT_CHANGED,
          })
          const commented = await call(api, 'tasks.comment', {
            action: 'add',
            id,
            path: 'src/util.js',
            side: 'new',
            startLine: 1,
            endLine: 1,
            text: COMMENT_KEPT,
          })
          expect(commented.comments?.map((c) => [c.path, c.code.trim(), c.state])).toEqual([
            ['src/api.js', GET_V1.trim(), 'open'],
            ['src/util.js', UTIL_V1.trim(), 'open'],
          ])

          // "Request changes": the second turn's user message is built from the review.
          await call(api, 'tasks.requestChanges', { id, note: NOTE })
          const task = await waitForTurn(api, id, 2)
          const message = lastUserMessage(env.model, 4)
          for (const expected of [
            NOTE,
            COMMENT_CHANGED,
            COMMENT_KEPT,
            'src/api.js',
            GET_V1.trim(),
            REASON,
            '-  return db.users.all()',
            `+${LIST_V1}`,
          ]) {
            expect(message, `the request-changes message holds ${JSON.stringify(expected)}`).toContain(
              expected,
            )
          }

          // Each turn's own diff.
          const second = await call(api, 'tasks.diff', { id, turn: 2 })
          expect(second.turn).toBe(2)
          expect(changedPaths(second)).toEqual(['src/api.js'])
          expect(fileOf(second, 'src/api.js')).toMatchObject({ additions: 1, deletions: 1 })
          expect(second.patch).toContain(`-${GET_V1}`)
          expect(second.patch).toContain(`+${GET_V2}`)
          expect(second.patch).not.toContain('db.users.all')
          const first = await call(api, 'tasks.diff', { id, turn: 1 })
          expect(first.turn).toBe(1)
          expect(changedPaths(first)).toEqual(['src/api.js', 'src/util.js'])
          expect(hunksOf(first, 'src/api.js')).toHaveLength(2)
          expect(fileOf(first, 'src/api.js').newContent).toContain(GET_V1)
          expect(first.patch).not.toContain(GET_V2)
          expect(task.turnSnapshots?.map((s) => [s.turn, s.files])).toEqual([
            [1, 2],
            [2, 1],
          ])

          // The comment whose code changed is "addressed?"; the other stays open. Both were sent.
          const states = Object.fromEntries((task.comments ?? []).map((c) => [c.text, c.state]))
          expect(states).toEqual({ [COMMENT_CHANGED]: 'addressed', [COMMENT_KEPT]: 'open' })
          expect(task.comments?.every((c) => c.sentAt !== undefined)).toBe(true)
          // The excluded hunk still exists unchanged after turn 2: it stays excluded.
          expect(task.excludedHunks).toEqual([{ path: 'src/api.js', key: listHunk!.key, reason: REASON }])

          // The pull request's branch holds exactly the included hunks.
          const outcome = await call(api, 'tasks.publish', {
            kind: 'pull_request',
            id,
            title: 'Tighten the API',
            body: '',
            draft: false,
            fork: false,
          })
          if (outcome.kind !== 'pull_request') throw new Error(`published as ${outcome.kind}`)
          expect(github.pulls).toHaveLength(1)
          const bare = join(gitServer.root, 'octocat', 'shop.git')
          const pushed = (path: string) => gitRaw(bare, 'show', `${outcome.branch}:${path}`)
          expect(await pushed('src/api.js')).toBe(asFile(withLine(API, 2, GET_V2)))
          expect(await pushed('src/util.js')).toBe(UTIL_V1)
          expect(github.violations).toEqual([])
        })
      } finally {
        await github.close()
        await gitServer.close()
      }
    },
    TURN_TIMEOUT,
  )

  it(
    'applies a hunk-and-line selection to a folder (files and branch), and exports it as a patch and a ZIP',
    async () => {
      await requireDocker()
      const root = await tempDir()
      const folder = join(root, 'project')
      const original = numberedLines(40)
      await writeFiles(folder, { 'lib.txt': asFile(original) })
      await commitAll(folder)
      // Three hunks: line 3 changed, two lines added after line 20, line 37 changed.
      const changed = [
        ...withLine(original, 3, 'line 3 changed').slice(0, 20),
        'added 1',
        'added 2',
        ...withLine(original, 37, 'line 37 changed').slice(20),
      ]
      const script = [
        tool('write_file', { path: 'lib.txt', content: asFile(changed) }),
        tool('write_file', { path: 'notes/new.txt', content: 'a new file\n' }),
        finish('Edited lib.txt.'),
      ]
      // The selection: the first hunk left out; in the last, its deletion left out (it stays as context).
      const selected = [
        ...original.slice(0, 20),
        'added 1',
        'added 2',
        ...original.slice(20, 37),
        'line 37 changed',
        ...original.slice(37),
      ]
      await withTestAppServer({ script }, async (env) => {
        const api = httpApi(env)
        const { id } = await call(api, 'tasks.submit', {
          source: { kind: 'folder', path: folder },
          prompt: 'Edit',
        })
        await waitForTurn(api, id, 1)
        const hunks = hunksOf(await call(api, 'tasks.diff', { id }), 'lib.txt')
        expect(hunks.map((h) => h.changes.map((c) => c.kind))).toEqual([
          ['del', 'add'],
          ['add', 'add'],
          ['del', 'add'],
        ])
        await call(api, 'tasks.setExcluded', {
          id,
          paths: [],
          hunks: [
            { path: 'lib.txt', key: hunks[0]!.key },
            { path: 'lib.txt', key: hunks[2]!.key, lines: [0] },
          ],
        })

        const artifact = (name: 'export.patch' | 'export.zip') =>
          env.services.engine.store.artifactPath(id, name)
        await call(api, 'tasks.publish', { kind: 'export', id, format: 'patch' })
        const copy = join(root, 'copy')
        await writeFiles(copy, { 'lib.txt': asFile(original) })
        await execFileAsync('git', ['apply', '--check', artifact('export.patch')], { cwd: copy })
        await execFileAsync('git', ['apply', artifact('export.patch')], { cwd: copy })
        expect(await readFile(join(copy, 'lib.txt'), 'utf8')).toBe(asFile(selected))
        expect(await readFile(join(copy, 'notes/new.txt'), 'utf8')).toBe('a new file\n')

        await call(api, 'tasks.publish', { kind: 'export', id, format: 'zip' })
        const unzipped = await execFileAsync('unzip', ['-p', artifact('export.zip'), 'lib.txt'], {
          encoding: 'utf8',
        })
        expect(unzipped.stdout).toBe(asFile(selected))

        const onBranch = await call(api, 'tasks.publish', { kind: 'apply', id, mode: 'branch' })
        if (onBranch.kind !== 'applied' || !onBranch.branch) throw new Error('no branch was made')
        expect(await gitRaw(folder, 'show', `${onBranch.branch}:lib.txt`)).toBe(asFile(selected))
        expect(await git(folder, 'status', '--porcelain')).toBe('')

        const files = await call(api, 'tasks.publish', { kind: 'apply', id, mode: 'files' })
        expect(files).toMatchObject({ kind: 'applied', mode: 'files' })
        expect(await readFile(join(folder, 'lib.txt'), 'utf8')).toBe(asFile(selected))
        expect(await readFile(join(folder, 'notes/new.txt'), 'utf8')).toBe('a new file\n')
      })
    },
    TURN_TIMEOUT,
  )

  it(
    'discards a hunk from the workspace, undoes it, refuses the undo once a turn starts; a turn that changes nothing says so',
    async () => {
      await requireDocker()
      const root = await tempDir()
      const folder = join(root, 'project')
      const original = numberedLines(30)
      await writeFiles(folder, { 'app.txt': asFile(original) })
      const changed = withLine(withLine(original, 2, 'line 2 changed'), 28, 'line 28 changed')
      const script = [
        tool('write_file', { path: 'app.txt', content: asFile(changed) }),
        finish('Changed two lines.'),
        // The follow-up turn changes nothing.
        finish('Nothing else to do.'),
      ]
      await withTestAppServer({ script }, async (env) => {
        const api = httpApi(env)
        const { id } = await call(api, 'tasks.submit', {
          source: { kind: 'folder', path: folder },
          prompt: 'Edit',
        })
        await waitForTurn(api, id, 1)
        const before = await call(api, 'tasks.diff', { id })
        const [, last] = hunksOf(before, 'app.txt')
        expect(hunksOf(before, 'app.txt')).toHaveLength(2)

        const discarded = await call(api, 'tasks.discard', { id, path: 'app.txt', hunk: last!.key })
        expect(discarded.discards?.map((d) => [d.path, d.hunk])).toEqual([['app.txt', last!.key]])
        expect(discarded.discards?.[0]?.patch).toContain('+line 28 changed')
        const gone = await call(api, 'tasks.diff', { id })
        expect(hunksOf(gone, 'app.txt').map((h) => h.key)).toEqual([hunksOf(before, 'app.txt')[0]!.key])
        expect(fileOf(gone, 'app.txt').newContent).toBe(asFile(withLine(original, 2, 'line 2 changed')))

        const undone = await call(api, 'tasks.undoDiscard', { id })
        expect(undone.discards ?? []).toEqual([])
        expect(fileOf(await call(api, 'tasks.diff', { id }), 'app.txt').newContent).toBe(asFile(changed))

        // Discard again, then a follow-up: the discard cannot be undone once the turn starts.
        await call(api, 'tasks.discard', { id, path: 'app.txt', hunk: last!.key })
        const seqBefore = Math.max(...(await call(api, 'tasks.events', { id })).map((e) => e.seq))
        await call(api, 'tasks.followUp', { id, prompt: 'Anything else?' })
        expect((await refusal(api, 'tasks.undoDiscard', { id })).kind).toBe('conflict')
        const task = await waitForTurn(api, id, 2)
        expect((await refusal(api, 'tasks.undoDiscard', { id })).kind).toBe('conflict')
        expect(fileOf(await call(api, 'tasks.diff', { id }), 'app.txt').newContent).toBe(
          asFile(withLine(original, 2, 'line 2 changed')),
        )

        // The turn changed nothing: its snapshot and its own diff say so, and so does the timeline.
        expect(task.turnSnapshots?.map((s) => [s.turn, s.files])).toEqual([
          [1, 1],
          [2, 0],
        ])
        const own = await call(api, 'tasks.diff', { id, turn: 2 })
        expect(own).toMatchObject({ turn: 2, files: 0, fileDiffs: [] })
        const events = (await call(api, 'tasks.events', { id })).filter((e) => e.seq > seqBefore)
        const said = events.filter((e) => /no changes/i.test(JSON.stringify(e)))
        expect(said, `the timeline of turn 2: ${JSON.stringify(events.map((e) => e.type))}`).not.toEqual([])
      })
    },
    TURN_TIMEOUT,
  )
})
