import { describe, expect, it } from 'vitest'
import type { AppError } from '../../../src/main/errors'
import { parseDuKilobytes, watchWorkspaceSize } from '../../../src/main/engine/workspace-size'

const du = (kb: number) => ({
  exec: async () => ({
    exitCode: 0,
    stdout: `${kb}\t/workspace\n`,
    stderr: '',
    timedOut: false,
    truncated: false,
    oomKilled: false,
    durationMs: 1,
  }),
})

describe('workspace size', () => {
  it('reads du -sxk output, warnings and all', () => {
    expect(parseDuKilobytes('2048\t/workspace\n')).toBe(2048 * 1024)
    expect(
      parseDuKilobytes("du: cannot read directory '/workspace/x': Permission denied\n12\t/workspace"),
    ).toBe(12 * 1024)
    expect(parseDuKilobytes('')).toBeUndefined()
  })

  it('stops the task once, with the size and the limit, when the workspace is too large', async () => {
    const reasons: AppError[] = []
    const watch = watchWorkspaceSize(du(3 * 1024 * 1024), 2, (r) => reasons.push(r), 60_000)
    try {
      expect(await watch.check()).toBe(3 * 1024 ** 3)
      await watch.check()
      expect(reasons).toHaveLength(1)
      expect(reasons[0]).toMatchObject({ kind: 'budget_exceeded' })
      expect(reasons[0]!.message).toContain('3.0 GB, more than 2 GB')
      expect(reasons[0]!.hint).toContain('Settings')
    } finally {
      watch.stop()
    }
  })

  it('lets a workspace under the limit be', async () => {
    const reasons: AppError[] = []
    const watch = watchWorkspaceSize(du(1024), 1, (r) => reasons.push(r), 60_000)
    await watch.check()
    watch.stop()
    expect(reasons).toEqual([])
  })
})
