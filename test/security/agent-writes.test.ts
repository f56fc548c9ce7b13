import { stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitForEvent } from '../support/engine'
import { buildZip } from '../support/make-zip'
import { expectHeld, plantSecrets } from './support/hostile'
import { finish, openHostileEngine, runToEnd, settled, shell, toolOutputs } from './support/task'

/** What a hostile agent writes into the workspace, against the host code that reads it afterwards. */
describe('what the agent writes', () => {
  it('a diff asked for during a turn is the last completed one: FIFOs and swapped links are never read', async () => {
    const planted = await plantSecrets()
    const swap =
      `(while :; do ln -sfn ${planted.hostSecretPath} s.tmp && mv -Tf s.tmp AGENTS.md; ` +
      `echo rules > f.tmp && mv -Tf f.tmp AGENTS.md; done) >/dev/null 2>&1 &`
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'a.txt': 'one\n' },
      script: [
        shell('echo two >> a.txt'),
        finish('First turn.'),
        shell(`mkfifo pipe; ln -s ${planted.hostSecretPath} key; ${swap} sleep 6; echo slept`),
        finish('Second turn.'),
      ],
    })
    const first = await runToEnd(engine, { repo })
    expect(first.status).toBe('review')
    await engine.followUp(first.id, 'Now the hostile part.')
    await waitForEvent(engine, first.id, (e) => e.type === 'tool_call' && e.name === 'shell' && e.seq > 0)
    await new Promise((r) => setTimeout(r, 1500)) // the FIFO and the swapper are in place
    for (let i = 0; i < 5; i++) {
      const started = Date.now()
      const diff = await engine.diff(first.id)
      expect(Date.now() - started).toBeLessThan(1000)
      expect(diff.snapshot?.reason).toBe('turn_running')
      expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['a.txt'])
    }
    await expect(engine.saveFile(first.id, 'a.txt', 'x\n')).rejects.toMatchObject({ kind: 'conflict' })
    const task = await settled(engine, first.id)
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const diff = await engine.diff(first.id)
    expect(diff.snapshot).toBeUndefined()
    const key = diff.fileDiffs.find((f) => f.newPath === 'key')
    expect(key).toMatchObject({ newMode: '120000', newContent: planted.hostSecretPath })
    await engine.publish({ kind: 'export', id: first.id, format: 'zip' })
    await engine.publish({ kind: 'export', id: first.id, format: 'patch' })
    await expectHeld(planted, { model })
  })

  it('a tracked folder the agent turns into a link to the home is never followed by the host', async () => {
    const planted = await plantSecrets({ files: { 'src/app.js': 'leaked {SECRET}\n' } })
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'src/app.js': 'console.log(1)\n', 'src/util.js': 'u\n' },
      script: [shell(`rm -rf src && ln -s ${planted.outside}/src src && ls -la`), finish()],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const diff = await engine.diff(task.id)
    const paths = diff.fileDiffs.map((f) => `${f.status} ${f.newPath ?? f.oldPath}`).sort()
    expect(paths).toEqual(['added src', 'deleted src/app.js', 'deleted src/util.js'])
    await engine.publish({ kind: 'export', id: task.id, format: 'zip' })
    await expectHeld(planted, { model })
  })

  it('hard links to files outside the workspace cannot be made', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      script: [
        shell(
          'ln /etc/passwd hl-passwd; echo "passwd=$?"; ln /proc/self/environ hl-env; echo "env=$?"; ' +
            `ln ${planted.hostSecretPath} hl-key; echo "key=$?"; ls`,
        ),
        finish(),
      ],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status).toBe('review')
    const [out] = toolOutputs(model)
    expect(out).toMatch(/passwd=[1-9]/)
    expect(out).toMatch(/env=[1-9]/)
    expect(out).toMatch(/key=[1-9]/)
    expect((await engine.diff(task.id)).files).toBe(0)
    await expectHeld(planted, { model })
  })

  it('paths with .. reach nothing outside the workspace, in the container or on the host', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      script: [
        {
          toolCalls: [
            { name: 'write_file', args: { path: '../../../../outside/pwned', content: 'x' } },
            { name: 'write_file', args: { path: `/workspace/../${planted.outside}/pwned`, content: 'x' } },
            { name: 'write_file', args: { path: '..a', content: 'dots are fine\n' } },
          ],
        },
        shell(`mkdir -p ../../x 2>&1; touch ${planted.outside}/pwned 2>&1; echo done`),
        finish(),
      ],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status).toBe('review')
    const outputs = toolOutputs(model)
    expect(outputs[0]).toMatch(/outside the workspace|not allowed|escape/i)
    expect(outputs[1]).toMatch(/outside the workspace|not allowed|escape/i)
    const diff = await engine.diff(task.id)
    expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['..a'])
    await expectHeld(planted, { model })
  })

  it('a workspace that grows past its limit stops the task with a clear error', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      settings: { sandbox: { maxWorkspaceGb: 0.1 } },
      workspaceCheckMs: 300,
      script: [shell('head -c 200000000 /dev/zero > big.bin; sleep 20; echo kept-going', 60), finish()],
    })
    const started = Date.now()
    const task = await runToEnd(engine, { repo })
    expect(task.status).toBe('failed')
    expect(task.error).toMatchObject({
      kind: 'budget_exceeded',
      message: expect.stringContaining('workspace grew past its limit'),
    })
    expect(Date.now() - started).toBeLessThan(20_000)
    await expectHeld(planted, { model })
  })

  it('a 100,000-file tree imports, is listed in bounds, and reaches review', async () => {
    const planted = await plantSecrets()
    const { engine, model } = await openHostileEngine(planted, {
      script: [shell('find . -type f | wc -l'), finish()],
    })
    const entries = Array.from({ length: 100_000 }, (_, i) => ({
      name: `d${i % 100}/f${i}.txt`,
      data: `${i}\n`,
      method: 'store' as const,
    }))
    const zip = join(planted.root, 'big-tree.zip')
    await writeFile(zip, buildZip(entries, { zip64: true }))
    const task = await engine.submit({ source: { kind: 'zip', path: zip }, prompt: 'Count the files.' })
    const done = await settled(engine, task.id, 170_000)
    expect(done.status, JSON.stringify(done.error)).toBe('review')
    expect(toolOutputs(model)[0]).toMatch(/\b100000\b/)
    const prompt = (await engine.store.readArtifact(task.id, 'prompt.md')) ?? ''
    expect(prompt).toContain('listing stopped at 200 entries')
    expect(prompt.length).toBeLessThan(20_000)
    await expectHeld(planted, { model })
  }, 180_000)

  it('a 5 GB sparse file is copied as holes, not 5 GB of writes, and the task goes on', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      script: [shell('ls -ls disk.img'), finish()],
    })
    await writeFile(join(repo, 'disk.img'), 'boot')
    await truncate(join(repo, 'disk.img'), 5 * 1024 ** 3)
    const task = await runToEnd(engine, { repo }, 170_000)
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const copy = await stat(join(engine.store.paths(task.id).workspace, 'disk.img'))
    expect(copy.size).toBe(5 * 1024 ** 3)
    expect(copy.blocks * 512).toBeLessThan(64 * 1024 ** 2)
    await expectHeld(planted, { model })
  }, 180_000)

  it('a FIFO the agent leaves at a tracked path is skipped with a note, and the rest is reviewable', async () => {
    const planted = await plantSecrets()
    const { engine, model, repo } = await openHostileEngine(planted, {
      files: { 'a.txt': 'a\n', 'b.txt': 'b\n' },
      script: [shell('rm a.txt && mkfifo a.txt && echo changed > b.txt'), finish()],
    })
    const task = await runToEnd(engine, { repo })
    expect(task.status, JSON.stringify(task.error)).toBe('review')
    const diff = await engine.diff(task.id)
    expect(diff.fileDiffs.map((f) => f.newPath)).toContain('b.txt')
    expect(JSON.stringify(diff.skipped ?? [])).toContain('a.txt')
    await expectHeld(planted, { model })
  })
})
