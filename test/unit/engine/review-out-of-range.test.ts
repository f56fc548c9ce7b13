import { describe, expect, it } from 'vitest'
import { bytes, lines, put, refusal, reviewTask } from './review-fixture'

/** Indices the schemas never let through, reaching the service from a tampered record or a direct call. */
describe('hunk lines and comment lines out of range', () => {
  const setup = () =>
    reviewTask({ 'a.txt': lines(20) }, (ws) => put(ws, 'a.txt', lines(20, { 4: 'x', 5: 'y' })))

  it.each([[[-1]], [[1.5]], [[Number.NaN]], [[4]], [[1e9]]])(
    'setExcluded and discard refuse lines %j',
    async (bad) => {
      const t = await setup()
      const key = t.file('a.txt').hunks![0]!.key
      expect(await refusal(t.service.setExcluded(t.id, [], [{ path: 'a.txt', key, lines: bad }]))).toMatch(
        /there is no line/,
      )
      expect(await refusal(t.service.discard({ id: t.id, path: 'a.txt', hunk: key, lines: bad }))).toMatch(
        /there is no line/,
      )
      expect((await bytes(t.ws, 'a.txt')).toString()).toBe(lines(20, { 4: 'x', 5: 'y' }))
    },
  )

  it('a tampered record with lines out of range: Request changes leaves them out instead of failing', async () => {
    const t = await setup()
    const key = t.file('a.txt').hunks![0]!.key
    await t.store.update(t.id, { excludedHunks: [{ path: 'a.txt', key, lines: [-1, 1.5, 99] }] })
    await t.service.requestChanges(t.id, 'note')
    expect(t.followUps[0]).not.toContain('## Changes left out')
  })

  it.each([
    [0, 1],
    [-3, 2],
    [3, 2],
    [1.5, 2],
  ])('a comment on lines %i–%i is refused', async (startLine, endLine) => {
    const t = await setup()
    const input = {
      action: 'add',
      id: t.id,
      path: 'a.txt',
      side: 'new',
      startLine,
      endLine,
      text: 'c',
    } as const
    expect(await refusal(t.service.comment(input))).toMatch(/not lines of/)
  })
})
