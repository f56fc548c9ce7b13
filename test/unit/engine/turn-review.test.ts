import { describe, expect, it } from 'vitest'
import { endTurnReview, startTurnReview } from '../../../src/main/engine/turn-review'
import { lines, put, refusal, reviewTask } from './review-fixture'

describe('each turn: its own diff and the review reconciled at its end', () => {
  it('snapshots the turn, drops stale hunks (saying so), marks changed comments addressed', async () => {
    const t = await reviewTask({ 'a.txt': lines(40), 'b.txt': lines(10), 'c.txt': 'c\n' }, async (ws) => {
      await put(ws, 'a.txt', lines(40, { 3: 'x', 30: 'y' }))
      await put(ws, 'b.txt', lines(10, { 5: 'z' }))
    })
    const first = await startTurnReview(t.turnDeps, t.id, false)
    expect(first).toEqual({ turn: 1, start: t.baseline })
    const end1 = await endTurnReview(t.turnDeps, t.id, first, t.diff)
    await t.store.update(t.id, { ...end1.patch, turns: 1 })
    const [a1, a2] = t.file('a.txt').hunks!
    const b1 = t.file('b.txt').hunks![0]!
    await t.service.setExcluded(
      t.id,
      [],
      [
        { path: 'a.txt', key: a1!.key },
        { path: 'a.txt', key: a2!.key },
        { path: 'b.txt', key: b1.key },
      ],
    )
    const add = (path: string, line: number, side: 'old' | 'new') =>
      t.service.comment({ action: 'add', id: t.id, path, side, startLine: line, endLine: line, text: 'fix' })
    await add('a.txt', 3, 'new')
    await add('a.txt', 30, 'new')
    await add('a.txt', 3, 'old')
    await add('b.txt', 5, 'old')
    await add('a.txt', 30, 'new')
    // Sent: the first four (the fifth comes after the request).
    const comments = t.store.get(t.id).comments!
    await t.store.update(t.id, { comments: comments.map((c, i) => (i < 4 ? { ...c, sentAt: 'then' } : c)) })
    await t.service.discard({ id: t.id, path: 'b.txt', hunk: b1.key })

    const second = await startTurnReview(t.turnDeps, t.id, true)
    expect(second.turn).toBe(2)
    expect(t.store.get(t.id).discards).toEqual([])
    expect(await refusal(t.service.undoDiscard(t.id))).toMatch(/no discard to undo/)
    // The agent's second turn: line 3 changed again.
    await put(t.ws, 'a.txt', lines(40, { 3: 'x2', 30: 'y' }))
    const diff2 = await t.refresh()
    const end2 = await endTurnReview(t.turnDeps, t.id, second, diff2)
    expect(end2.message).toBeUndefined()
    expect(end2.patch.excludedHunks).toEqual([{ path: 'a.txt', key: a2!.key }])
    expect(t.events).toContainEqual({
      type: 'log',
      stream: 'system',
      text: '2 left-out hunks no longer exist after this turn and were dropped: a.txt, b.txt\n',
    })
    // b.txt was discarded before the turn: the turn did not touch it.
    expect(end2.patch.comments!.map((c) => c.state)).toEqual([
      'addressed',
      'open',
      'addressed',
      'open',
      'open',
    ])
    const snapshots = end2.patch.turnSnapshots!
    expect(snapshots.map((s) => [s.turn, s.files, s.additions, s.deletions])).toEqual([
      [1, 2, 3, 3],
      [2, 1, 1, 1],
    ])
    await t.store.update(t.id, { ...end2.patch, turns: 2 })
    const own = await t.service.diff(t.id, 2)
    expect(own.turn).toBe(2)
    expect(own.fileDiffs.map((f) => [f.newPath, f.additions, f.deletions])).toEqual([['a.txt', 1, 1]])
    expect(own.fileDiffs[0]!.oldContent).toBe(lines(40, { 3: 'x', 30: 'y' }))
    expect(await refusal(t.service.diff(t.id, 7))).toMatch(/no recorded turn 7/)
  })

  it('says "No changes in this turn" when the turn changed nothing', async () => {
    const t = await reviewTask({ 'a.txt': 'a\n' }, (ws) => put(ws, 'a.txt', 'b\n'))
    await t.store.update(t.id, { turns: 1 })
    const start = await startTurnReview(t.turnDeps, t.id, true)
    const end = await endTurnReview(t.turnDeps, t.id, start, await t.refresh())
    expect(end.message).toBe('No changes in this turn')
    expect(end.patch.turnSnapshots).toMatchObject([{ turn: 2, files: 0 }])
  })
})
