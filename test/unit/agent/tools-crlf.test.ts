import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { editFileTool, readFileTool, ToolError } from '../../../src/main/agent/tools'
import { LocalWorkspace } from '../../support/local-workspace'
import { tempDir } from '../../support/tmp'

/** read_file and edit_file (codex-tool, run on the host) on files with Windows line endings. */
async function workspaceWith(content: string): Promise<{
  path: string
  run: (tool: typeof editFileTool | typeof readFileTool, args: unknown) => Promise<string>
}> {
  const dir = await tempDir('codex-crlf-')
  await writeFile(join(dir, 'a.txt'), content)
  const workspace = new LocalWorkspace(dir)
  return { path: join(dir, 'a.txt'), run: (tool, args) => tool.run(args, { workspace }) }
}

describe('CRLF files through read_file and edit_file', () => {
  it('read_file shows the lines without \\r and says the file is CRLF', async () => {
    const { run } = await workspaceWith('one\r\ntwo\r\nthree\r\n')
    expect(await run(readFileTool, { path: 'a.txt' })).toBe(
      '     1\tone\n     2\ttwo\n     3\tthree\n[the file has CRLF (\\r\\n) line endings, not shown; edit_file keeps them]',
    )
  })

  it('an edit written with \\n, as read_file showed the text, matches and keeps CRLF', async () => {
    const { path, run } = await workspaceWith('one\r\ntwo\r\nthree\r\n')
    const shown = await run(readFileTool, { path: 'a.txt', start_line: 1, end_line: 2 })
    expect(shown).toContain('one\n     2\ttwo')
    expect(
      await run(editFileTool, {
        path: 'a.txt',
        old_string: 'one\ntwo\n',
        new_string: 'one\nTWO\nand a half\n',
      }),
    ).toMatch(/replaced 1 occurrence at line 1/)
    expect(await readFile(path, 'utf8')).toBe('one\r\nTWO\r\nand a half\r\nthree\r\n')
  })

  it('a one-line match whose replacement adds lines writes them with CRLF too', async () => {
    const { path, run } = await workspaceWith('a\r\nb\r\n')
    await run(editFileTool, { path: 'a.txt', old_string: 'b', new_string: 'b1\nb2' })
    expect(await readFile(path, 'utf8')).toBe('a\r\nb1\r\nb2\r\n')
  })

  it('text given with \\r\\n still matches exactly', async () => {
    const { path, run } = await workspaceWith('x\r\ny\r\n')
    await run(editFileTool, { path: 'a.txt', old_string: 'x\r\ny', new_string: 'x\r\nz' })
    expect(await readFile(path, 'utf8')).toBe('x\r\nz\r\n')
  })

  it('LF files are left LF, and a CRLF old_string does not match them', async () => {
    const { path, run } = await workspaceWith('one\ntwo\n')
    await run(editFileTool, { path: 'a.txt', old_string: 'one\n', new_string: 'uno\nuna\n' })
    expect(await readFile(path, 'utf8')).toBe('uno\nuna\ntwo\n')
    expect(await run(readFileTool, { path: 'a.txt' })).not.toContain('CRLF')
    const err = await run(editFileTool, { path: 'a.txt', old_string: 'uno\r\n', new_string: 'x' }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ToolError)
  })
})
