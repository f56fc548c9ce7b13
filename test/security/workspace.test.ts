import { execFileSync } from 'node:child_process'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectHeld, plantSecrets } from './support/hostile'
import { finish, openHostileEngine, runToEnd, shell, toolOutputs } from './support/task'

/**
 * Hostile repositories and agents against the host's reads of the workspace: setup.sh and AGENTS.md
 * that are links, FIFOs or huge; processes setup.sh leaves behind; files swapped while the host reads.
 */
describe('the host reads of the workspace', () => {
  it('setup.sh as a symlink to a host key is not run, and says why', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, { script: [finish()] })
    await symlink(planted.hostSecretPath, join(repo, 'setup.sh'))
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const log = await engine.store.readArtifact(task.id, 'setup.log')
    expect(log).toContain('setup.sh was not run')
    expect(log).toContain('is a symbolic link')
    await expectHeld(planted, { model })
  })

  it('setup.sh as a link to /dev/zero is not run (no 600 MB read)', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, { script: [finish()] })
    await symlink('/dev/zero', join(repo, 'setup.sh'))
    const task = await runToEnd(engine, { repo })
    expect(task.status).toBe('review')
    expect(await engine.store.readArtifact(task.id, 'setup.log')).toContain('is a symbolic link')
    await expectHeld(planted, { model })
  })

  it('setup.sh as a FIFO never hangs the import or the task', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, { script: [finish()] })
    execFileSync('mkfifo', [join(repo, 'setup.sh')])
    const started = Date.now()
    const task = await runToEnd(engine, { repo }, 60_000)
    expect(task.status).toBe('review')
    expect(Date.now() - started).toBeLessThan(60_000)
    await expectHeld(planted, { model })
  })

  it('a setup.sh larger than 1 MiB is refused, not piped into the container', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, { script: [finish()] })
    await writeFile(join(repo, 'setup.sh'), `echo ran\n${'#'.repeat(2 * 1024 * 1024)}\n`)
    const task = await runToEnd(engine, { repo })
    expect(task.status).toBe('review')
    const log = await engine.store.readArtifact(task.id, 'setup.log')
    expect(log).toContain('larger than')
    expect(log).not.toContain('ran\n')
    await expectHeld(planted, { model })
  })

  it('AGENTS.md as a symlink to a host key stays out of the prompt', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'src/app.js': 'x\n', 'src/AGENTS.md': 'Use tabs.\n' },
      script: [finish()],
    })
    await symlink(planted.hostSecretPath, join(repo, 'AGENTS.md'))
    const task = await runToEnd(engine, { repo })
    expect(task.status).toBe('review')
    const prompt = await engine.store.readArtifact(task.id, 'prompt.md')
    expect(prompt).toContain('Use tabs.')
    expect(prompt).toContain('AGENTS.md@')
    await expectHeld(planted, { model })
  })

  it('an AGENTS.md reached through a directory link (a focus path) is never read', async () => {
    const planted = await plantSecrets({ files: { 'notes/AGENTS.md': 'secret notes {SECRET}\n' } })
    const { engine, model, repo } = await openHostileEngine(planted, { script: [finish()] })
    await symlink(join(planted.outside, 'notes'), join(repo, 'docs'))
    const task = await runToEnd(engine, { repo, focusFiles: ['docs/AGENTS.md', 'docs'] })
    expect(task.status).toBe('review')
    expect(await engine.store.readArtifact(task.id, 'prompt.md')).not.toContain('secret notes')
    await expectHeld(planted, { model })
  })

  it('nothing setup.sh starts survives into the agent phase: a swapper of AGENTS.md is gone', async () => {
    const planted = await plantSecrets()
    // setup.sh leaves a loop behind that flips AGENTS.md between a file and a link to the host key.
    const swapper =
      `while :; do ln -sfn ${planted.hostSecretPath} L && mv -Tf L AGENTS.md; ` +
      `printf "Be brief.\\n" > F && mv -Tf F AGENTS.md; done`
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: {
        'AGENTS.md': 'Be brief.\n',
        'setup.sh': `nohup bash -c '${swapper}' >/dev/null 2>&1 &\nnohup sleep 1000 >/dev/null 2>&1 &\nsleep 1\necho setup-done\n`,
      },
      script: [
        shell('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done; ls -la AGENTS.md'),
        finish(),
      ],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    expect(await engine.store.readArtifact(task.id, 'setup.log')).toContain('setup-done')
    const [processes] = toolOutputs(model)
    expect(processes).not.toContain('sleep 1000')
    expect(processes).not.toContain('mv -Tf')
    await expectHeld(planted, { model })
  })
})
