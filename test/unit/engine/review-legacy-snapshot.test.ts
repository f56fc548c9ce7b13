import { describe, expect, it } from 'vitest'
import { saveDiffSnapshot } from '../../../src/main/engine/diff-snapshot'
import { lines, put, refusal, reviewTask } from './review-fixture'

/** A diff snapshot kept before hunks existed: its files have no `hunks`. */
describe('a diff snapshot without hunks', () => {
  it('setExcluded falls back to a live diff when no turn runs, and refuses while one does', async () => {
    const t = await reviewTask({ 'a.txt': lines(20) }, (ws) => put(ws, 'a.txt', lines(20, { 4: 'x' })))
    const key = t.file('a.txt').hunks![0]!.key
    const legacy = { ...t.diff, fileDiffs: t.diff.fileDiffs.map(({ hunks: _hunks, ...f }) => f) }
    await saveDiffSnapshot(t.store, t.id, legacy)
    t.turn.alive = true
    expect(await refusal(t.service.setExcluded(t.id, [], [{ path: 'a.txt', key }]))).toMatch(
      /can only be taken whole/,
    )
    t.turn.alive = false
    const task = await t.service.setExcluded(t.id, [], [{ path: 'a.txt', key, reason: 'keep' }])
    expect(task.excludedHunks).toEqual([{ path: 'a.txt', key, reason: 'keep' }])
    // The live diff is kept: the next call reads hunks from the snapshot again.
    t.turn.alive = true
    expect((await t.service.setExcluded(t.id, [], [{ path: 'a.txt', key }])).excludedHunks).toHaveLength(1)
  })
})
