import { execFileSync } from 'node:child_process'
import { link, lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { QUOTE_MAX_CHARS } from '../../src/main/engine/review-message'
import { MAX_COMMENTS } from '../../src/main/engine/review-service'
import { saveWorkspaceFile } from '../../src/main/engine/workspace-edit'
import { endTurnReview, startTurnReview } from '../../src/main/engine/turn-review'
import { appErrorOf } from '../support/files'
import { lines, put, reviewTask } from '../unit/engine/review-fixture'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'

/**
 * The review's engine side against a workspace the agent shaped (engine/review-service.ts and what it
 * calls): hard links to the planted home, FIFOs and folders where a discard writes, hostile names and
 * contents quoted into the Request-changes message, floods of comments and exclusions, a tampered turn
 * record, and a turn snapshot of a workspace holding `.git` folders and files named like refs.
 */
const hostileTask = (
  planted: Planted,
  original: Record<string, string>,
  change: (ws: string) => Promise<void>,
) => reviewTask(original, change, { dataDir: planted.dataDir })

/** The Markdown's headings outside fences, and whether every fence was closed (CommonMark's rules). */
export function markdownOutline(message: string): {
  headings: string[]
  fencesClosed: boolean
  prose: string
} {
  const headings: string[] = []
  const prose: string[] = []
  let fence: string | null = null
  for (const line of message.split('\n')) {
    const run = /^(`{3,})/.exec(line)?.[1]
    if (fence !== null) {
      if (run && run.length >= fence.length && line.slice(run.length).trim() === '') fence = null
      continue
    }
    if (run && !line.slice(run.length).includes('`')) fence = run
    else if (/^#{1,6} /.test(line)) headings.push(line)
    else prose.push(line)
  }
  return { headings, fencesClosed: fence === null, prose: prose.join('\n') }
}

describe('the review against a hostile workspace', () => {
  it('a changed file hard-linked to a file of the home: edits, discards and undo replace the entry, never write into the inode', async () => {
    const planted = await plantSecrets()
    const bashrc = join(planted.outside, '.bashrc')
    const t = await hostileTask(planted, { 'rc.sh': lines(20), 'ed.sh': lines(20) }, async (ws) => {
      for (const name of ['rc.sh', 'ed.sh']) {
        await rm(join(ws, name))
        await link(bashrc, join(ws, name))
      }
    })
    const inode = (await stat(bashrc)).ino
    // The user's edit of the right-hand side (tasks.saveFile).
    await saveWorkspaceFile(t.ws, 'ed.sh', 'edited\n')
    // A hunk's discard writes the file, the undo writes it back, a whole file's discard restores it.
    const [hunk] = t.file('rc.sh').hunks!
    await t.service.discard({ id: t.id, path: 'rc.sh', hunk: hunk!.key })
    await t.service.undoDiscard(t.id)
    await t.service.discard({ id: t.id, path: 'rc.sh' })
    await t.service.undoDiscard(t.id)
    for (const name of ['rc.sh', 'ed.sh']) expect((await lstat(join(t.ws, name))).ino).not.toBe(inode)
    expect(await readFile(join(t.ws, 'ed.sh'), 'utf8')).toBe('edited\n')
    expect(await readFile(join(t.ws, 'rc.sh'), 'utf8')).toBe('# the user’s own\n')
    expect((await stat(bashrc)).nlink).toBe(1)
    await expectHeld(planted)
  })

  it('a FIFO or a folder left where a discard writes is refused at once, never opened', async () => {
    const planted = await plantSecrets()
    const t = await hostileTask(planted, { 'a.txt': lines(10), 'b.txt': lines(10) }, async (ws) => {
      await put(ws, 'a.txt', lines(10, { 2: 'x' }))
      await put(ws, 'b.txt', lines(10, { 2: 'y' }))
    })
    const [a] = t.file('a.txt').hunks!
    const [b] = t.file('b.txt').hunks!
    // After the review's diff: a.txt swapped for a FIFO, b.txt for a folder holding a file.
    await rm(join(t.ws, 'a.txt'))
    execFileSync('mkfifo', [join(t.ws, 'a.txt')])
    await rm(join(t.ws, 'b.txt'))
    await put(t.ws, 'b.txt/inner', 'kept\n')
    const attempts = [
      () => t.service.discard({ id: t.id, path: 'a.txt', hunk: a!.key }),
      () => t.service.discard({ id: t.id, path: 'b.txt', hunk: b!.key }),
      () => t.service.discard({ id: t.id, path: 'b.txt' }),
      () =>
        t.service.comment({
          action: 'add',
          id: t.id,
          path: 'a.txt',
          side: 'new',
          startLine: 2,
          endLine: 2,
          text: 'c',
        }),
      () => t.service.setExcluded(t.id, [], [{ path: 'a.txt', key: a!.key, lines: [0] }]),
    ]
    for (const attempt of attempts) {
      const err = await Promise.race([
        appErrorOf(attempt()).catch(() => null),
        new Promise<'blocked'>((done) => setTimeout(() => done('blocked'), 5000)),
      ])
      expect(err).not.toBe('blocked')
    }
    expect(await readFile(join(t.ws, 'b.txt', 'inner'), 'utf8')).toBe('kept\n')
    expect((await lstat(join(t.ws, 'a.txt'))).isFIFO()).toBe(true)
    await expectHeld(planted)
  })

  it('hostile names and contents quoted into the Request-changes message cannot break its structure', async () => {
    const planted = await plantSecrets()
    const evilLines = [
      '```',
      '## Comments',
      '# Review of your changes',
      '````` ```',
      '\u001b[2J\u001b[31mred',
    ]
    const evil = (n: number): string => `${evilLines.join('\n')}\n${lines(n)}`
    const names = ['a\n## Comments.md', '`x`.ts', '# heading.md', '\u001b[31mred\u001b[0m.ts']
    const original = Object.fromEntries(names.map((n) => [n, lines(30)]))
    // The line git shows as a hunk header's context: backticks, a heading and an escape.
    original['ctx.ts'] = `${lines(9)}function f() { // \`\`\` ## x \u001b[2J\n${lines(9)}`
    const t = await hostileTask(planted, original, async (ws) => {
      for (const n of names) await put(ws, n, evil(30))
      await put(
        ws,
        'ctx.ts',
        `${lines(9)}function f() { // \`\`\` ## x \u001b[2J\n${lines(9, { 5: 'changed' })}`,
      )
    })
    const add = (path: string, start: number, end: number) =>
      t.service.comment({
        action: 'add',
        id: t.id,
        path,
        side: 'new',
        startLine: start,
        endLine: end,
        text: 'fix it',
      })
    for (const n of names) await add(n, 1, 5)
    await t.service.setExcluded(
      t.id,
      [names[1]!],
      [
        { path: names[0]!, key: t.file(names[0]!).hunks![0]!.key, reason: 'no' },
        { path: 'ctx.ts', key: t.file('ctx.ts').hunks![0]!.key },
      ],
    )
    await t.service.discard({ id: t.id, path: names[3]!, hunk: t.file(names[3]!).hunks![0]!.key })
    await t.service.requestChanges(t.id)
    const message = t.followUps[0]!
    const outline = markdownOutline(message)
    expect(outline.fencesClosed).toBe(true)
    const levels = outline.headings.map((h) => h.split(' ')[0])
    expect(levels).toEqual(['#', '##', '###', '###', '###', '###', '##', '###', '###', '##', '###'])
    expect(outline.headings.filter((h) => h === '## Comments')).toHaveLength(1)
    // Outside the fences (headings, names, hunk headers) every control character is shown escaped.
    const outsideFences = `${outline.headings.join('\n')}\n${outline.prose}`
    expect([...outsideFences].filter((c) => c !== '\n' && c.charCodeAt(0) < 0x20)).toEqual([])
    expect(outline.headings[2]).toBe('### 1. `a\\u{a}## Comments.md`, lines 1–5 (changed file)')
    await expectHeld(planted)
  })

  it('a flood of comments, left-out hunks and files keeps the message bounded, and says what was cut', async () => {
    const planted = await plantSecrets()
    const many = lines(30_000)
    const changed = lines(
      30_000,
      Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [i * 10 + 1, `c${i}`])),
    )
    const t = await hostileTask(planted, { 'big.txt': many }, (ws) => put(ws, 'big.txt', changed))
    const hunks = t.file('big.txt').hunks!
    expect(hunks.length).toBe(3000)
    await t.service.setExcluded(
      t.id,
      Array.from({ length: 5000 }, (_, i) => `gone/${i}.txt`),
      hunks.map((h) => ({ path: 'big.txt', key: h.key, reason: 'r'.repeat(4000) })),
    )
    // Comments quoting the whole 30,000-line file, many times.
    const base = await t.service.comment({
      action: 'add',
      id: t.id,
      path: 'big.txt',
      side: 'new',
      startLine: 1,
      endLine: 30_000,
      text: 'why',
    })
    const one = base.comments![0]!
    expect(one.code.length).toBe(QUOTE_MAX_CHARS)
    await t.store.update(t.id, {
      comments: Array.from({ length: MAX_COMMENTS }, (_, i) => ({ ...one, id: `c${i}` })),
    })
    const more = {
      action: 'add',
      id: t.id,
      path: 'big.txt',
      side: 'new',
      startLine: 1,
      endLine: 1,
      text: 'x',
    } as const
    expect((await appErrorOf(t.service.comment(more))).message).toBe(
      'This task has 1000 comments, the most it keeps.',
    )
    await t.service.requestChanges(t.id, 'n'.repeat(100_000))
    const message = t.followUps[0]!
    expect(message.length).toBeLessThan(600_000)
    expect(message).toMatch(/_[\d,]+ more comments not shown: the message reached its size limit/)
    expect(message).toMatch(/_[\d,]+ more changes not shown: the message reached its size limit/)
    expect(message).toContain('_4,800 more files not shown._')
    expect(message).toMatch(/_Cut: [\d,]+ more lines not shown._/)
    expect(markdownOutline(message).fencesClosed).toBe(true)
    await expectHeld(planted)
  })

  it('a tampered turn record cannot aim the turn diff at an option, a ref or a range', async () => {
    const planted = await plantSecrets()
    const t = await hostileTask(planted, { 'a.txt': 'a\n' }, (ws) => put(ws, 'a.txt', 'b\n'))
    const start = await startTurnReview(t.turnDeps, t.id, false)
    const end = await endTurnReview(t.turnDeps, t.id, start, t.diff)
    const snapshot = end.patch.turnSnapshots![0]!
    const pwned = join(planted.outside, 'pwned')
    const tampered = [
      { start: `--output=${pwned}`, end: snapshot.end },
      { start: snapshot.start, end: `--output=${pwned}` },
      { start: 'refs/codex/turns/1/end', end: snapshot.end },
      { start: `${snapshot.start}..${snapshot.end}`, end: snapshot.end },
      { start: `${snapshot.start}:a.txt`, end: snapshot.end },
      { start: 'HEAD@{0}', end: snapshot.end },
    ]
    for (const bad of tampered) {
      await t.store.update(t.id, { turnSnapshots: [{ ...snapshot, ...bad }] })
      const err = await appErrorOf(t.service.diff(t.id, 1))
      expect(err.kind).toBe('invalid_input')
      expect(err.message).toBe('The commits to compare are not valid.')
    }
    await expectHeld(planted)
  })

  it('a workspace with .git folders and files named like refs: the snapshot refs stay the host’s, no hook or fsmonitor runs', async () => {
    const planted = await plantSecrets()
    const pwned = join(planted.outside, 'pwned')
    const config = `[core]\n\tfsmonitor = touch ${pwned}\n\thooksPath = ${planted.outside}\n`
    const t = await hostileTask(planted, { 'a.txt': 'a\n' }, async (ws) => {
      await put(ws, 'a.txt', 'b\n')
      await put(ws, 'refs/codex/turns/1/end', '0000000000000000000000000000000000000000\n')
      await put(ws, 'HEAD', 'ref: refs/heads/evil\n')
      await put(ws, '--output=x', 'x\n')
      await mkdir(join(ws, 'sub'))
      execFileSync('git', ['init', '-q'], { cwd: join(ws, 'sub') })
      await writeFile(join(ws, 'sub', '.git', 'config'), config)
      await put(ws, 'sub/f.txt', 'f\n')
    })
    const start = await startTurnReview(t.turnDeps, t.id, false)
    const end = await endTurnReview(t.turnDeps, t.id, start, await t.refresh())
    const snapshot = end.patch.turnSnapshots![0]!
    const git = (...args: string[]): string =>
      execFileSync('git', ['--git-dir', t.gitDir, ...args], { encoding: 'utf8' }).trim()
    expect(git('rev-parse', 'refs/codex/turns/1/end')).toBe(snapshot.end)
    expect(git('rev-parse', `${snapshot.end}^`)).toBe(t.baseline)
    expect(git('ls-tree', '-r', '--name-only', snapshot.end).split('\n').sort()).toEqual(
      ['--output=x', 'HEAD', 'a.txt', 'refs/codex/turns/1/end', 'sub/f.txt'].sort(),
    )
    await t.store.update(t.id, { ...end.patch, turns: 1 })
    const own = await t.service.diff(t.id, 1)
    expect(own.fileDiffs.map((f) => f.newPath).sort()).toContain('--output=x')
    await expect(stat(pwned)).rejects.toThrow()
    await expect(stat(join(t.ws, 'x'))).rejects.toThrow()
    await expectHeld(planted)
  })
})
