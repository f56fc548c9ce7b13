/**
 * A cancel that lands while the shell command is still starting up: the kill scan must also catch what the
 * command forked during the scan (exec.ts KILL_SCRIPT repeats until a pass finds nothing).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { shellTool } from '../../../src/main/agent/tools'
import { LocalWorkspace } from '../../support/local-workspace'
import { tempDir } from '../../support/tmp'

/** The process's state letter (R, S, Z…), or 'gone'. */
const stateOf = (pid: number): Promise<string> =>
  readFile(`/proc/${pid}/stat`, 'utf8').then(
    (text) => text.split(') ')[1]?.[0] ?? 'gone',
    () => 'gone',
  )
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

it('a cancel 300 ms into a shell call leaves nothing of the command alive', async () => {
  const alive: number[] = []
  for (let round = 0; round < 4; round++) {
    const dir = await tempDir('shell-cancel-race-')
    const controller = new AbortController()
    const running = shellTool
      .run(
        { command: 'sleep 30 & echo $! > sleep.pid; wait' },
        { workspace: new LocalWorkspace(dir), signal: controller.signal },
      )
      .catch((err: unknown) => err)
    await sleep(300)
    controller.abort()
    await running
    await sleep(1000)
    const pid = Number(await readFile(join(dir, 'sleep.pid'), 'utf8').catch(() => '0'))
    // A zombie (Z) is dead; only a running or sleeping process outlived the cancel.
    if (pid && ['R', 'S', 'D'].includes(await stateOf(pid))) {
      alive.push(pid)
      process.kill(pid, 'SIGKILL')
    }
  }
  expect(alive).toEqual([])
}, 60_000)
