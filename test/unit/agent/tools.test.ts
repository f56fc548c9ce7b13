import { chmod, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  editFileTool,
  finishTool,
  readFileTool,
  shellTool,
  writeFileTool,
  type Tool,
} from '../../../src/main/agent/tools'
import { toolFailure } from '../../support/files'
import { LocalWorkspace } from '../../support/local-workspace'
import { tempDir } from '../../support/tmp'

async function setup(): Promise<{ dir: string; run: (tool: Tool, args: unknown) => Promise<string> }> {
  const dir = await tempDir('codex-tools-')
  const workspace = new LocalWorkspace(dir)
  return { dir, run: (tool, args) => tool.run(args, { workspace }) }
}

describe('file tools (codex-tool on the host)', () => {
  it('writes with parent dirs, reads with line numbers, edits exactly once', async () => {
    const { dir, run } = await setup()
    expect(await run(writeFileTool, { path: 'src/deep/a.txt', content: 'one\ntwo\nthree\n' })).toMatch(
      /Created src\/deep\/a.txt/,
    )
    expect(await readFile(join(dir, 'src/deep/a.txt'), 'utf8')).toBe('one\ntwo\nthree\n')
    expect(await run(readFileTool, { path: '/workspace/src/deep/a.txt' })).toBe(
      '     1\tone\n     2\ttwo\n     3\tthree',
    )
    expect(await run(readFileTool, { path: 'src/deep/a.txt', start_line: 2, end_line: 2 })).toBe(
      '     2\ttwo\n[showing lines 2-2 of 3; call read_file with start_line=3 to read more]',
    )
    expect(await run(editFileTool, { path: 'src/deep/a.txt', old_string: 'two', new_string: '2' })).toMatch(
      /replaced 1 occurrence at line 2/,
    )
    expect(await readFile(join(dir, 'src/deep/a.txt'), 'utf8')).toBe('one\n2\nthree\n')
  })

  it('edit_file refuses a missing or non-unique old_string and leaves the file alone', async () => {
    const { dir, run } = await setup()
    await writeFile(join(dir, 'b.txt'), 'x = 1\nx = 1\n')
    expect(
      await toolFailure(run(editFileTool, { path: 'b.txt', old_string: 'x = 1', new_string: 'y' })),
    ).toMatch(/occurs 2 times/)
    expect(
      await toolFailure(run(editFileTool, { path: 'b.txt', old_string: 'zzz', new_string: 'y' })),
    ).toMatch(/was not found/)
    expect(
      await toolFailure(run(editFileTool, { path: 'nope.txt', old_string: 'a', new_string: 'b' })),
    ).toMatch(/nope.txt: no such file/)
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('x = 1\nx = 1\n')
  })

  it('writes atomically, keeping the mode, without leaving temp files', async () => {
    const { dir, run } = await setup()
    await writeFile(join(dir, 'run.sh'), '#!/bin/sh\necho a\n')
    await chmod(join(dir, 'run.sh'), 0o751)
    await run(editFileTool, { path: 'run.sh', old_string: 'echo a', new_string: 'echo b' })
    await run(writeFileTool, { path: 'run.sh', content: '#!/bin/sh\necho c\n' })
    expect((await stat(join(dir, 'run.sh'))).mode & 0o777).toBe(0o751)
    expect(await readdir(dir)).toEqual(['run.sh'])
  })

  it('refuses paths that escape the workspace, through .. or a symlink', async () => {
    const { dir, run } = await setup()
    const outside = await tempDir('codex-outside-')
    await writeFile(join(outside, 'secret.txt'), 'secret')
    await symlink(outside, join(dir, 'link'))
    for (const path of ['../x.txt', '/etc/passwd', 'link/secret.txt', '/workspace/../etc/passwd']) {
      expect(await toolFailure(run(readFileTool, { path }))).toMatch(/outside the workspace/)
    }
    expect(await toolFailure(run(writeFileTool, { path: 'link/new.txt', content: 'x' }))).toMatch(/outside/)
    expect(
      await toolFailure(run(editFileTool, { path: 'link/secret.txt', old_string: 's', new_string: 't' })),
    ).toMatch(/outside/)
    expect(await readdir(outside)).toEqual(['secret.txt'])
  })

  it('reports bad arguments, directories and binary files as text for the model', async () => {
    const { dir, run } = await setup()
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'sub/bin.dat'), Buffer.from([0, 1, 2, 3]))
    expect(await toolFailure(run(readFileTool, { file: 'x' }))).toMatch(
      /Invalid arguments for read_file[\s\S]*path/,
    )
    expect(await toolFailure(run(readFileTool, { path: 'sub' }))).toMatch(/is a directory[\s\S]*bin.dat/)
    expect(await run(readFileTool, { path: 'sub/bin.dat' })).toMatch(/binary file \(4 bytes\)/)
  })

  it('pages long files', async () => {
    const { dir, run } = await setup()
    await writeFile(join(dir, 'long.txt'), Array.from({ length: 2500 }, (_, i) => `line ${i + 1}`).join('\n'))
    const first = await run(readFileTool, { path: 'long.txt' })
    expect(first.split('\n')).toHaveLength(2001)
    expect(first).toMatch(/showing lines 1-2000 of 2500; call read_file with start_line=2001/)
    expect(await run(readFileTool, { path: 'long.txt', start_line: 2500 })).toBe('  2500\tline 2500')
  })
})

describe('shell tool', () => {
  it('runs bash -lc in the workspace and reports exit code, stdout and stderr', async () => {
    const { dir, run } = await setup()
    await writeFile(join(dir, 'f.txt'), 'hi')
    expect(await run(shellTool, { command: 'cat f.txt; pwd' })).toBe(`Exit code: 0\nstdout:\nhi${dir}\n`)
    const failed = await toolFailure(run(shellTool, { command: 'echo oops >&2; exit 3' }))
    expect(failed).toBe('Exit code: 3\nstderr:\noops\n')
  })

  it('keeps the head and tail of long output with an omitted-bytes marker', async () => {
    const { run } = await setup()
    const out = await run(shellTool, { command: 'seq 1 200000' })
    const total = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('').length
    expect(out.startsWith('Exit code: 0\nstdout:\n1\n2\n3\n')).toBe(true)
    expect(out.endsWith('199999\n200000\n')).toBe(true)
    expect(out).toContain(`… ${total - 20_000} bytes omitted …`)
    expect(out.length).toBeLessThan(21_000)
  })

  it('kills a command at its timeout, background children included', async () => {
    const { dir, run } = await setup()
    const started = Date.now()
    const command = 'sleep 30 & echo $! > bg.pid; sleep 30'
    const out = await toolFailure(run(shellTool, { command, timeout_seconds: 1 }))
    expect(out).toMatch(/timed out after 1 s and was killed/)
    expect(Date.now() - started).toBeLessThan(10_000)
    const pid = Number(await readFile(join(dir, 'bg.pid'), 'utf8'))
    // Gone, or a zombie waiting for a reaper (this machine's pid 1 does not reap).
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
      (text) => text.split(') ')[1]?.[0],
      () => 'gone',
    )
    expect(['gone', 'Z']).toContain(state)
  })

  it('finish returns its summary and ends the turn', async () => {
    const { run } = await setup()
    expect(finishTool.endsTurn).toBe(true)
    expect(await run(finishTool, { summary: 'done' })).toBe('done')
    expect(shellTool.parameters).toMatchObject({ type: 'object', required: ['command'] })
  })
})
