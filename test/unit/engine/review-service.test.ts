import { chmod, lstat, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NOTHING_TO_REQUEST } from '../../../src/main/engine/review-service'
import { tempDir } from '../../support/tmp'
import { bytes, lines, modeOf, put, refusal, reviewTask } from './review-fixture'

describe('ReviewService.setExcluded', () => {
  it('saves hunks that exist in the diff, merged per hunk with their lines sorted and unique', async () => {
    const t = await reviewTask({ 'a.txt': lines(40) }, (ws) =>
      put(ws, 'a.txt', lines(40, { 3: 'x', 30: 'y' })),
    )
    const [first, second] = t.file('a.txt').hunks ?? []
    expect(first && second).toBeTruthy()
    const next = await t.service.setExcluded(
      t.id,
      ['b.txt', 'b.txt'],
      [
        { path: 'a.txt', key: first!.key, lines: [1], reason: 'keep line 3' },
        { path: 'a.txt', key: first!.key, lines: [1, 0] },
        { path: 'a.txt', key: second!.key, lines: [0] },
      ],
    )
    expect(next.excludedPaths).toEqual(['b.txt'])
    expect(next.excludedHunks).toEqual([
      // Both of its lines: the whole hunk.
      { path: 'a.txt', key: first!.key, reason: 'keep line 3' },
      { path: 'a.txt', key: second!.key, lines: [0] },
    ])
    // Absent: the saved hunks stay.
    expect((await t.service.setExcluded(t.id, [])).excludedHunks).toHaveLength(2)
  })

  it('refuses a hunk not in the diff, a line past the hunk, and paths outside the diff (.., absolute, .git)', async () => {
    const t = await reviewTask({ 'a.txt': lines(10) }, (ws) => put(ws, 'a.txt', lines(10, { 5: 'x' })))
    const key = t.file('a.txt').hunks![0]!.key
    const bad = 'f'.repeat(40)
    expect(await refusal(t.service.setExcluded(t.id, [], [{ path: 'a.txt', key: bad }]))).toMatch(
      /"a.txt" no longer has that hunk/,
    )
    expect(await refusal(t.service.setExcluded(t.id, [], [{ path: 'a.txt', key, lines: [2] }]))).toMatch(
      /has 2 changed lines; there is no line 2/,
    )
    for (const path of ['../a.txt', '/etc/passwd', '.git/config', 'a.txt/..']) {
      expect(await refusal(t.service.setExcluded(t.id, [], [{ path, key }]))).toMatch(/is not a changed file/)
    }
    expect(t.store.get(t.id).excludedHunks).toBeUndefined()
  })
})

describe('ReviewService.comment', () => {
  it('quotes the code of either side, and edits, reopens and deletes', async () => {
    const t = await reviewTask({ 'a.ts': 'one\r\ntwo\r\nthree\r\n' }, (ws) =>
      put(ws, 'a.ts', 'one\r\nTWO\r\nthree\r\nfour'),
    )
    await t.service.comment({
      action: 'add',
      id: t.id,
      path: 'a.ts',
      side: 'new',
      startLine: 2,
      endLine: 4,
      text: ' Why? ',
    })
    let task = await t.service.comment({
      action: 'add',
      id: t.id,
      path: 'a.ts',
      side: 'old',
      startLine: 2,
      endLine: 2,
      text: 'Keep',
    })
    const [onNew, onOld] = task.comments!
    expect(onNew).toMatchObject({
      path: 'a.ts',
      side: 'new',
      startLine: 2,
      endLine: 4,
      code: 'TWO\nthree\nfour',
      text: 'Why?',
      state: 'open',
    })
    expect(onNew!.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(onOld).toMatchObject({ side: 'old', code: 'two' })
    await t.service.comment({ action: 'edit', id: t.id, commentId: onNew!.id, text: 'Why this?' })
    task = await t.service.comment({ action: 'state', id: t.id, commentId: onOld!.id, state: 'addressed' })
    expect(task.comments!.map((c) => [c.text, c.state])).toEqual([
      ['Why this?', 'open'],
      ['Keep', 'addressed'],
    ])
    task = await t.service.comment({ action: 'delete', id: t.id, commentId: onNew!.id })
    expect(task.comments!.map((c) => c.id)).toEqual([onOld!.id])
    expect(await refusal(t.service.comment({ action: 'delete', id: t.id, commentId: 'nope' }))).toMatch(
      /no such comment/,
    )
  })

  it('refuses lines past the end, a side the file lacks, a binary file and a path outside the diff', async () => {
    const t = await reviewTask({ 'a.txt': 'a\nb\n', 'bin.dat': Buffer.from([0, 1, 2]) }, async (ws) => {
      await put(ws, 'a.txt', 'a\nB\n')
      await put(ws, 'new.txt', 'n\n')
      await put(ws, 'bin.dat', Buffer.from([0, 1, 3]))
    })
    const add = (path: string, side: 'old' | 'new', startLine: number, endLine: number) =>
      refusal(t.service.comment({ action: 'add', id: t.id, path, side, startLine, endLine, text: 'x' }))
    expect(await add('a.txt', 'new', 2, 3)).toMatch(
      /"a.txt" has 2 lines on that side; line 3 is past its end/,
    )
    expect(await add('new.txt', 'old', 1, 1)).toMatch(/it has no original side/)
    expect(await add('bin.dat', 'new', 1, 1)).toMatch(/it is a binary file/)
    expect(await add('../a.txt', 'new', 1, 1)).toMatch(/is not a changed file/)
    expect(await add('.git/HEAD', 'new', 1, 1)).toMatch(/is not a changed file/)
    expect(t.store.get(t.id).comments).toBeUndefined()
  })
})

describe('ReviewService.discard and undoDiscard', () => {
  it('discards a whole modified file (content and mode back), and the undo restores it byte for byte', async () => {
    const t = await reviewTask({ 'run.sh': 'echo a\r\n' }, async (ws) => {
      await put(ws, 'run.sh', 'echo b\r\nno newline')
      await chmod(join(ws, 'run.sh'), 0o755)
    })
    const agent = await bytes(t.ws, 'run.sh')
    const task = await t.service.discard({ id: t.id, path: 'run.sh', reason: 'not this' })
    expect((await bytes(t.ws, 'run.sh')).toString()).toBe('echo a\r\n')
    expect(await modeOf(t.ws, 'run.sh')).toBe(0o644)
    expect(task.diff).toEqual({ files: 0, additions: 0, deletions: 0 })
    expect(task.discards).toHaveLength(1)
    expect(task.discards![0]).toMatchObject({ path: 'run.sh', reason: 'not this' })
    expect(task.discards![0]!.patch).toContain('+echo b\r')
    expect(t.events.at(-1)).toEqual({ type: 'diff', diff: { files: 0, additions: 0, deletions: 0 } })
    const undone = await t.service.undoDiscard(t.id)
    expect((await bytes(t.ws, 'run.sh')).equals(agent)).toBe(true)
    expect(await modeOf(t.ws, 'run.sh')).toBe(0o755)
    expect(undone.discards).toEqual([])
    expect(undone.diff?.files).toBe(1)
    expect(await refusal(t.service.undoDiscard(t.id))).toMatch(/no discard to undo/)
  })

  it('discards one hunk, then lines of another, each undone exactly', async () => {
    const after = lines(40, { 3: 'x', 30: 'y' })
    const t = await reviewTask({ 'a.txt': lines(40) }, (ws) => put(ws, 'a.txt', after))
    const [first, second] = t.file('a.txt').hunks!
    await t.service.discard({ id: t.id, path: 'a.txt', hunk: first!.key })
    expect(await readFile(join(t.ws, 'a.txt'), 'utf8')).toBe(lines(40, { 30: 'y' }))
    // The second hunk keeps its key: its own lines did not change.
    const index = second!.changes.findIndex((c) => c.kind === 'add')
    const task = await t.service.discard({ id: t.id, path: 'a.txt', hunk: second!.key, lines: [index] })
    // The added line dropped, the deletion kept: line 30 is gone.
    expect(await readFile(join(t.ws, 'a.txt'), 'utf8')).toBe(lines(40).replace('line 30\n', ''))
    expect(task.discards!.map((d) => d.hunk)).toEqual([first!.key, second!.key])
    expect(task.discards![1]!.patch).toMatch(/\n\+y\n/)
    expect(task.discards![1]!.patch).not.toMatch(/\n-line 30\n/)
    await t.service.undoDiscard(t.id)
    expect(await readFile(join(t.ws, 'a.txt'), 'utf8')).toBe(lines(40, { 30: 'y' }))
    await t.service.undoDiscard(t.id)
    expect(await readFile(join(t.ws, 'a.txt'), 'utf8')).toBe(after)
  })

  it('removes an added file, restores a deleted one and undoes a rename, each undone', async () => {
    const t = await reviewTask({ 'gone.txt': 'old\n', 'dir/moved.txt': lines(20) }, async (ws) => {
      await put(ws, 'new.txt', 'new\n')
      await rm(join(ws, 'gone.txt'))
      await mkdir(join(ws, 'other'))
      await rename(join(ws, 'dir/moved.txt'), join(ws, 'other/moved.txt'))
    })
    expect(t.file('other/moved.txt').status).toBe('renamed')
    await t.service.discard({ id: t.id, path: 'new.txt' })
    await expect(lstat(join(t.ws, 'new.txt'))).rejects.toThrow(/ENOENT/)
    await t.service.discard({ id: t.id, path: 'gone.txt' })
    expect(await readFile(join(t.ws, 'gone.txt'), 'utf8')).toBe('old\n')
    const task = await t.service.discard({ id: t.id, path: 'other/moved.txt' })
    expect(await readFile(join(t.ws, 'dir/moved.txt'), 'utf8')).toBe(lines(20))
    await expect(lstat(join(t.ws, 'other/moved.txt'))).rejects.toThrow(/ENOENT/)
    expect(task.diff?.files).toBe(0)
    for (let i = 0; i < 3; i++) await t.service.undoDiscard(t.id)
    expect(await readFile(join(t.ws, 'other/moved.txt'), 'utf8')).toBe(lines(20))
    await expect(lstat(join(t.ws, 'dir/moved.txt'))).rejects.toThrow(/ENOENT/)
    await expect(lstat(join(t.ws, 'gone.txt'))).rejects.toThrow(/ENOENT/)
    expect(await readFile(join(t.ws, 'new.txt'), 'utf8')).toBe('new\n')
  })

  it('is refused while a turn runs or the task is not in review, and for a symbolic link', async () => {
    const t = await reviewTask({ 'a.txt': 'a\n' }, async (ws) => {
      await put(ws, 'a.txt', 'b\n')
      await symlink('a.txt', join(ws, 'link'))
    })
    t.turn.alive = true
    expect(await refusal(t.service.discard({ id: t.id, path: 'a.txt' }))).toMatch(
      /waits until the agent's turn ends/,
    )
    t.turn.alive = false
    expect(await refusal(t.service.discard({ id: t.id, path: 'link' }))).toMatch(
      /symbolic link.*exclude it instead/,
    )
    await t.store.update(t.id, { status: 'running' })
    expect(await refusal(t.service.discard({ id: t.id, path: 'a.txt' }))).toMatch(/needs a task in review/)
    expect(await readFile(join(t.ws, 'a.txt'), 'utf8')).toBe('b\n')
  })

  it('attack: a file or a folder swapped for a link after the diff refuses without writing outside', async () => {
    const outside = await tempDir('codex-outside-')
    await writeFile(join(outside, 'secret.txt'), 'precious\n')
    const t = await reviewTask({ 'a.txt': 'a\n', 'd/f.txt': 'f\n' }, async (ws) => {
      await put(ws, 'a.txt', 'b\n')
      await put(ws, 'd/f.txt', 'g\n')
    })
    await rm(join(t.ws, 'a.txt'))
    await symlink(join(outside, 'secret.txt'), join(t.ws, 'a.txt'))
    expect(await refusal(t.service.discard({ id: t.id, path: 'a.txt' }))).toMatch(/symbolic link/)
    await rm(join(t.ws, 'd'), { recursive: true })
    await symlink(outside, join(t.ws, 'd'))
    await writeFile(join(outside, 'f.txt'), 'outside\n')
    expect(await refusal(t.service.discard({ id: t.id, path: 'd/f.txt' }))).toMatch(/symbolic link/)
    for (const path of ['../outside/secret.txt', join(outside, 'secret.txt'), '.git/config']) {
      expect(await refusal(t.service.discard({ id: t.id, path }))).toMatch(/is not a changed file/)
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('precious\n')
    expect(await readFile(join(outside, 'f.txt'), 'utf8')).toBe('outside\n')
    expect(t.store.get(t.id).discards).toBeUndefined()
  })
})

describe('ReviewService.requestChanges', () => {
  it('refuses an empty review', async () => {
    const t = await reviewTask({ 'a.txt': 'a\n' }, (ws) => put(ws, 'a.txt', 'b\n'))
    expect(await refusal(t.service.requestChanges(t.id, '  '))).toBe(NOTHING_TO_REQUEST)
    expect(t.followUps).toEqual([])
  })

  it('sends the note, the open comments, the left-out hunk and the discard, and marks the comments sent', async () => {
    const t = await reviewTask({ 'api.ts': lines(40), 'tmp.txt': 'x\n' }, async (ws) => {
      await put(ws, 'api.ts', lines(40, { 3: 'export const changed = 1', 30: 'const port = 8080' }))
      await put(ws, 'tmp.txt', 'y\n')
    })
    const [first, second] = t.file('api.ts').hunks!
    await t.service.setExcluded(
      t.id,
      [],
      [{ path: 'api.ts', key: first!.key, reason: "don't touch the public API" }],
    )
    await t.service.comment({
      action: 'add',
      id: t.id,
      path: 'api.ts',
      side: 'new',
      startLine: 30,
      endLine: 30,
      text: 'From the environment.',
    })
    const done = await t.service.comment({
      action: 'add',
      id: t.id,
      path: 'api.ts',
      side: 'new',
      startLine: 1,
      endLine: 1,
      text: 'Old.',
    })
    await t.service.comment({
      action: 'state',
      id: t.id,
      commentId: done.comments![1]!.id,
      state: 'addressed',
    })
    await t.service.discard({ id: t.id, path: 'tmp.txt', reason: 'scratch file' })
    const task = await t.service.requestChanges(t.id, 'Almost.')
    const message = t.followUps[0]!
    expect(message).toMatch(
      /^# Review of your changes\n\nAlmost\.\n\n## Comments\n\n### 1\. `api\.ts`, line 30 \(changed file\)\n\n```ts\nconst port = 8080\n```\n\nFrom the environment\.\n/,
    )
    expect(message).not.toContain('Old.')
    expect(message).toContain(
      `### 1. \`api.ts\`: hunk \`${first!.header}\`\n\nReason: don't touch the public API\n\n\`\`\`diff\n`,
    )
    expect(message).toContain('+export const changed = 1')
    expect(message).not.toContain('+const port = 8080')
    expect(second).toBeTruthy()
    expect(message).toContain('### 1. `tmp.txt`: the whole file\n\nReason: scratch file\n\n```diff\n')
    expect(message).toContain('+y\n')
    expect(task.status).toBe('queued')
    const sent = t.store.get(t.id).comments!
    expect(sent[0]!.sentAt).toBeTruthy()
    expect(sent[1]!.sentAt).toBeUndefined()
    expect(t.events).toContainEqual({ type: 'log', stream: 'system', text: `Changes requested:\n${message}` })
  })
})
