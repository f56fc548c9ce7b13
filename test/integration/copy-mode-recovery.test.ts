import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { removeTaskVolumes } from '../../src/main/docker/workspace-ship'
import { AGENT_OWNER } from '../../src/main/docker/workspace-ship'
import type { TurnDeps } from '../../src/main/engine/turn-deps'
import { dropPhaseVolumes, shipPhaseIn } from '../../src/main/engine/workspace-copy'
import type { TaskEventBody } from '../../src/shared/events'
import { requireDocker, testImage } from '../support/docker'
import { writeFiles } from '../support/files'
import { tempDir } from '../support/tmp'
import { startVolumeContainer } from './workspace-ship-fixture'

/**
 * Copy mode when a phase is cut off (the app killed, the engine gone) before its work came back: the
 * next phase of the task brings that work back first, so a resumed agent finds what it really did.
 */
async function phaseDeps(): Promise<{ deps: TurnDeps; dir: string; said: string[]; taskId: string }> {
  const docker = await requireDocker()
  const dir = await tempDir('codex-copy-recovery-')
  const taskId = `copy-recovery-${Date.now().toString(36)}`
  onTestFinished(() => removeTaskVolumes(docker, taskId).then(() => undefined))
  await writeFiles(join(dir, 'workspace'), { 'src/a.js': 'one\n', 'keep.txt': 'kept\n' })
  await writeFiles(join(dir, 'home'), { '.profile': '# home\n' })
  const said: string[] = []
  const paths = { dir, workspace: join(dir, 'workspace'), home: join(dir, 'home') }
  const deps = {
    docker,
    store: { paths: () => paths },
    signal: new AbortController().signal,
    emit: (e: TaskEventBody) => {
      if (e.type === 'log') said.push(e.text)
    },
  } as unknown as TurnDeps
  return { deps, dir, said, taskId }
}

describe('copy mode after a cut-off phase', () => {
  it('brings back the cut-off phase’s work before shipping the next one', async () => {
    const { deps, dir, said, taskId } = await phaseDeps()
    const shipped = await shipPhaseIn(deps, taskId, testImage(), AGENT_OWNER)
    // The agent works in the volume; then the app dies: nothing brought back, the note of it stays.
    const sandbox = await startVolumeContainer(deps.docker, {
      ...shipped,
      taskId,
      volume: shipped.volumes.workspace,
    })
    const exec = await sandbox.exec({
      Cmd: ['sh', '-c', 'echo ONE > src/a.js && echo new > b.js'],
      User: '10001:10001',
    })
    await exec.start({})
    await new Promise((r) => setTimeout(r, 1000))
    await sandbox.remove({ force: true })
    expect(await readFile(join(dir, 'workspace/src/a.js'), 'utf8')).toBe('one\n')
    // The resumed turn's phase: the work comes home, then a fresh copy goes out.
    const next = await shipPhaseIn(deps, taskId, testImage(), AGENT_OWNER)
    expect(said).toContain('Brought back what the interrupted phase had changed in the sandbox.\n')
    expect(await readFile(join(dir, 'workspace/src/a.js'), 'utf8')).toBe('ONE\n')
    expect(await readFile(join(dir, 'workspace/b.js'), 'utf8')).toBe('new\n')
    expect(await readFile(join(dir, 'workspace/keep.txt'), 'utf8')).toBe('kept\n')
    expect(next.manifests.workspace.map((e) => e.path).sort()).toEqual([
      'b.js',
      'keep.txt',
      'src',
      'src/a.js',
    ])
    await dropPhaseVolumes(deps, taskId)
  })

  it('says so and ships afresh when the cut-off phase’s volume is gone, leaving the host copy as it was', async () => {
    const { deps, dir, said, taskId } = await phaseDeps()
    await shipPhaseIn(deps, taskId, testImage(), AGENT_OWNER)
    await removeTaskVolumes(deps.docker, taskId)
    await writeFile(join(dir, 'workspace/keep.txt'), 'edited in review\n')
    await shipPhaseIn(deps, taskId, testImage(), AGENT_OWNER)
    expect(said.join('')).toMatch(
      /could not be brought back \(The workspace volume .* is gone from the engine\.\)/,
    )
    const files = execFileSync('find', [join(dir, 'workspace'), '-type', 'f'], { encoding: 'utf8' })
    expect(files.split('\n').filter(Boolean).sort()).toEqual([
      join(dir, 'workspace/keep.txt'),
      join(dir, 'workspace/src/a.js'),
    ])
    expect(await readFile(join(dir, 'workspace/keep.txt'), 'utf8')).toBe('edited in review\n')
    await dropPhaseVolumes(deps, taskId)
  })
})
