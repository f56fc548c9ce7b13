import { chmod, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyPatchTool, defaultTools } from '../../../src/main/agent/tools'
import { toolFailure, writeFiles } from '../../support/files'
import { LocalWorkspace } from '../../support/local-workspace'
import { tempDir } from '../../support/tmp'

/** apply_patch through codex-tool on the host (python3, a temp dir standing in for /workspace). */
async function setup(files: Record<string, string> = {}) {
  const dir = await tempDir('codex-patch-')
  await writeFiles(dir, files)
  const workspace = new LocalWorkspace(dir)
  const patch = (...lines: string[]) =>
    applyPatchTool.run(
      { patch: ['*** Begin Patch', ...lines, '*** End Patch', ''].join('\n') },
      { workspace },
    )
  const read = (rel: string) => readFile(join(dir, rel), 'utf8')
  return { dir, patch, read }
}

describe('apply_patch', () => {
  it('adds, updates, deletes and moves files in one patch, keeping modes', async () => {
    const { dir, patch, read } = await setup({
      'src/app.py': 'def greet():\n    print("Hi")\n\ngreet()\n',
      'old.txt': 'obsolete\n',
      'run.sh': '#!/bin/sh\necho a\n',
    })
    await chmod(join(dir, 'run.sh'), 0o751)
    const out = await patch(
      '*** Add File: docs/hello.txt',
      '+Hello',
      '+world',
      '*** Update File: src/app.py',
      '*** Move to: src/main.py',
      '@@ def greet():',
      '-    print("Hi")',
      '+    print("Hello, world!")',
      '*** Delete File: old.txt',
      '*** Update File: run.sh',
      ' #!/bin/sh',
      '-echo a',
      '+echo b',
    )
    expect(out).toBe(
      'Applied the patch:\nA docs/hello.txt (2 lines)\nR src/app.py -> src/main.py (+1 -1)\nD old.txt\nM run.sh (+1 -1)',
    )
    expect(await read('docs/hello.txt')).toBe('Hello\nworld\n')
    expect(await read('src/main.py')).toBe('def greet():\n    print("Hello, world!")\n\ngreet()\n')
    expect(await read('run.sh')).toBe('#!/bin/sh\necho b\n')
    expect((await stat(join(dir, 'run.sh'))).mode & 0o777).toBe(0o751)
    expect((await readdir(dir)).sort()).toEqual(['docs', 'run.sh', 'src'])
    expect(await readdir(join(dir, 'src'))).toEqual(['main.py'])
  })

  it('a hunk that does not match changes no file and says which hunk, with what it looked for', async () => {
    const { dir, patch } = await setup({ 'a.txt': 'one\ntwo\n', 'b.txt': 'alpha\nbeta\n' })
    const before = await Promise.all(['a.txt', 'b.txt'].map((f) => stat(join(dir, f))))
    const err = await toolFailure(
      patch(
        '*** Add File: c.txt',
        '+new',
        '*** Update File: a.txt',
        '-one',
        '+ONE',
        '*** Update File: b.txt',
        '@@ alpha',
        '-beta',
        '+BETA',
        '@@',
        '-gamma',
        '+GAMMA',
      ),
    )
    expect(err).toMatch(/^b\.txt: hunk 2 did not match: these lines \(after line 2\) not found:\n {2}gamma\n/)
    expect(err).toMatch(/No file was changed/)
    expect(await readdir(dir)).toEqual(['a.txt', 'b.txt'])
    const after = await Promise.all(['a.txt', 'b.txt'].map((f) => stat(join(dir, f))))
    expect(after.map((s) => s.mtimeMs)).toEqual(before.map((s) => s.mtimeMs))
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('one\ntwo\n')
    const ctx = await toolFailure(patch('*** Update File: a.txt', '@@ nowhere', '-two', '+2'))
    expect(ctx).toMatch(
      /a\.txt: hunk 1 did not match: the @@ context line \(after line 0\) not found:\n {2}nowhere/,
    )
  })

  it('matches exactly, then ignoring trailing, then surrounding whitespace; @@ picks the occurrence', async () => {
    const { patch, read } = await setup({
      'w.py': 'def a():\n    return 1   \n\ndef b():\n    return 1\n',
      'x.txt': 'first\n',
    })
    await patch('*** Update File: w.py', '@@ def b():', '-    return 1', '+    return 2')
    expect(await read('w.py')).toBe('def a():\n    return 1   \n\ndef b():\n    return 2\n')
    await patch('*** Update File: w.py', ' def a():', '-    return 1', '+    return 3')
    expect(await read('w.py')).toBe('def a():\n    return 3\n\ndef b():\n    return 2\n')
    await patch('*** Update File: w.py', '@@', '-return 2', '+    return 4')
    expect(await read('w.py')).toBe('def a():\n    return 3\n\ndef b():\n    return 4\n')
    await patch('*** Update File: x.txt', '@@', '+appended')
    expect(await read('x.txt')).toBe('first\nappended\n')
  })

  it('*** End of File matches at the end; a file without a final newline keeps it that way', async () => {
    const { patch, read } = await setup({ 'e.txt': 'x\ny\nx\ny' })
    await patch('*** Update File: e.txt', '@@', ' x', '-y', '+Y', '*** End of File')
    expect(await read('e.txt')).toBe('x\ny\nx\nY')
  })

  it('CRLF files keep CRLF; patch lines are written without \\r', async () => {
    const { patch, read } = await setup({ 'win.txt': 'first\r\nsecond\r\nthird\r\n', 'lf.txt': 'a\nb\n' })
    await patch(
      '*** Update File: win.txt',
      ' first',
      '-second',
      '+2nd',
      '+and more',
      ' third',
      '*** Update File: lf.txt',
      '-b',
      '+B',
    )
    expect(await read('win.txt')).toBe('first\r\n2nd\r\nand more\r\nthird\r\n')
    expect(await read('lf.txt')).toBe('a\nB\n')
  })

  it('refuses malformed patches and impossible file operations, changing nothing', async () => {
    const { dir, patch, read } = await setup({ 'a.txt': 'one\n' })
    const run = (text: string) => applyPatchTool.run({ patch: text }, { workspace: new LocalWorkspace(dir) })
    expect(await toolFailure(run('*** Update File: a.txt\n-one\n+1\n'))).toMatch(
      /must start with a line '\*\*\* Begin Patch'/,
    )
    expect(await toolFailure(patch('*** Update File: a.txt', 'one'))).toMatch(
      /must start with ' ' \(context\)/,
    )
    expect(await toolFailure(patch('*** Update File: a.txt'))).toMatch(/has no hunks/)
    expect(await toolFailure(patch('*** Add File: a.txt', '+x'))).toMatch(/a\.txt: already exists/)
    expect(await toolFailure(patch('*** Delete File: gone.txt'))).toMatch(/gone\.txt: no such file/)
    expect(await toolFailure(patch('*** Update File: gone.txt', '-x', '+y'))).toMatch(
      /gone\.txt: no such file/,
    )
    expect(await toolFailure(patch('*** Delete File: a.txt', '*** Add File: a.txt', '+x'))).toMatch(
      /appears more than once/,
    )
    expect(await toolFailure(patch('*** Frobnicate File: a.txt'))).toMatch(/expected '\*\*\* Add File: '/)
    expect(
      await toolFailure(applyPatchTool.run({ patch: '' }, { workspace: new LocalWorkspace(dir) })),
    ).toMatch(/Invalid arguments for apply_patch/)
    expect(await readdir(dir)).toEqual(['a.txt'])
    expect(await read('a.txt')).toBe('one\n')
  })

  it('refuses paths outside the workspace and writes through symbolic links', async () => {
    const { dir, patch } = await setup({ 'in.txt': 'in\n' })
    const outside = await tempDir('codex-patch-out-')
    await writeFile(join(outside, 'secret.txt'), 'secret\n')
    await symlink(outside, join(dir, 'out'))
    await symlink('in.txt', join(dir, 'alias.txt'))
    const cases: Array<[string[], RegExp]> = [
      [['*** Add File: ../x.txt', '+x'], /outside the workspace/],
      [['*** Add File: out/x.txt', '+x'], /outside the workspace/],
      [['*** Update File: out/secret.txt', '-secret', '+pwned'], /outside the workspace/],
      [['*** Update File: alias.txt', '-in', '+pwned'], /is a symbolic link/],
      [['*** Update File: in.txt', '*** Move to: /tmp/moved.txt', '-in', '+x'], /outside the workspace/],
    ]
    for (const [lines, refusal] of cases) expect(await toolFailure(patch(...lines))).toMatch(refusal)
    expect(await readdir(outside)).toEqual(['secret.txt'])
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret\n')
    expect(await readFile(join(dir, 'in.txt'), 'utf8')).toBe('in\n')
  })

  it('is offered alongside edit_file, and its description teaches the format', () => {
    const names = defaultTools().map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining(['edit_file', 'apply_patch', 'search', 'list_files']))
    expect(applyPatchTool.description).toMatch(/\*\*\* Begin Patch[\s\S]*\*\*\* Update File:[\s\S]*@@/)
  })
})
