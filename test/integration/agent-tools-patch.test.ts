import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyPatchTool, listFilesTool, searchTool } from '../../src/main/agent/tools'
import { giveWorkspaceTo, Sandbox, sandboxUser } from '../../src/main/docker/sandbox'
import { requireDocker, testImage } from '../support/docker'
import { toolFailure } from '../support/files'

/** apply_patch, search and list_files in the real sandbox (codex-tool and ripgrep in the agent image). */
let docker: Docker
let sandbox: Sandbox
let workspace: string

const FILES: Record<string, string> = {
  '.gitignore': 'node_modules/\n*.log\n',
  'src/app.py': 'def greet():\n    print("Hi")\n\ngreet()\n',
  'src/util.py': 'def helper():\n    return 1\n',
  'src/deep/er/x.py': 'x = 1\n',
  'old.txt': 'obsolete\n',
  'win.txt': 'first\r\nsecond\r\nthird\r\n',
  'node_modules/pkg/index.js': 'needle ignored\n',
  'debug.log': 'needle ignored\n',
  'notes/a.md': 'one needle\ntwo\nthree\nfour NEEDLE\n',
  'notes/b.txt': 'needle in b\n',
}

beforeAll(async () => {
  docker = await requireDocker()
  workspace = await mkdtemp(join(tmpdir(), 'codex-patch-ws-'))
  for (const [rel, content] of Object.entries(FILES)) {
    await mkdir(join(workspace, rel, '..'), { recursive: true })
    await writeFile(join(workspace, rel), content)
  }
  await mkdir(join(workspace, '.git'))
  await writeFile(join(workspace, '.git', 'HEAD'), 'needle in git\n')
  await chmod(join(workspace, 'src/util.py'), 0o755)
  await giveWorkspaceTo(workspace, sandboxUser())
  sandbox = await Sandbox.create(docker, {
    taskId: `test-patch-${randomBytes(4).toString('hex')}`,
    image: testImage(),
    workspace,
    memoryMb: 256,
    cpus: 1,
    pidsLimit: 128,
    tmpfsMb: 64,
    network: { kind: 'none' },
  })
})
afterAll(async () => {
  await sandbox?.remove()
  await rm(workspace, { recursive: true, force: true })
})

const ctx = () => ({ workspace: sandbox })
const patch = (...lines: string[]) =>
  applyPatchTool.run({ patch: ['*** Begin Patch', ...lines, '*** End Patch'].join('\n') }, ctx())
const read = (rel: string) => readFile(join(workspace, rel), 'utf8')

describe('apply_patch in the sandbox', () => {
  it('a hunk that does not match leaves every file untouched: bytes and mtimes', async () => {
    const names = ['src/app.py', 'src/util.py', 'old.txt', 'win.txt']
    const before = await Promise.all(
      names.map(async (n) => [await read(n), (await stat(join(workspace, n))).mtimeMs]),
    )
    const err = await toolFailure(
      patch(
        '*** Add File: added.txt',
        '+new',
        '*** Delete File: old.txt',
        '*** Update File: src/app.py',
        '-    print("Hi")',
        '+    print("Hello")',
        '*** Update File: win.txt',
        '-second',
        '+2nd',
        '*** Update File: src/util.py',
        '@@ def helper():',
        '-    return 2',
        '+    return 3',
      ),
    )
    expect(err).toMatch(
      /src\/util\.py: hunk 1 did not match: these lines \(after line 1\) not found:\n {6}return 2/,
    )
    const after = await Promise.all(
      names.map(async (n) => [await read(n), (await stat(join(workspace, n))).mtimeMs]),
    )
    expect(after).toEqual(before)
    expect((await readdir(workspace)).sort()).toEqual(
      ['.git', '.gitignore', 'debug.log', 'node_modules', 'notes', 'old.txt', 'src', 'win.txt'].sort(),
    )
  })

  it('adds, updates, deletes and moves in one patch; CRLF stays CRLF; modes are kept', async () => {
    const out = await patch(
      '*** Add File: docs/hello.txt',
      '+Hello',
      '*** Update File: src/app.py',
      '*** Move to: src/main.py',
      '@@ def greet():',
      '-    print("Hi")',
      '+    print("Hello, world!")',
      '*** Delete File: old.txt',
      '*** Update File: win.txt',
      ' first',
      '-second',
      '+2nd',
      '+and more',
      '*** Update File: src/util.py',
      '-    return 1',
      '+    return 2',
    )
    expect(out).toMatch(
      /^Applied the patch:\nA docs\/hello\.txt \(1 lines\)\nR src\/app\.py -> src\/main\.py/,
    )
    expect(await read('docs/hello.txt')).toBe('Hello\n')
    expect(await read('src/main.py')).toBe('def greet():\n    print("Hello, world!")\n\ngreet()\n')
    expect(await read('win.txt')).toBe('first\r\n2nd\r\nand more\r\nthird\r\n')
    expect(await read('src/util.py')).toBe('def helper():\n    return 2\n')
    expect((await stat(join(workspace, 'src/util.py'))).mode & 0o777).toBe(0o755)
    await expect(stat(join(workspace, 'old.txt'))).rejects.toThrow()
    await expect(stat(join(workspace, 'src/app.py'))).rejects.toThrow()
    expect((await readdir(join(workspace, 'src'))).filter((n) => n.startsWith('.codex-tool'))).toEqual([])
  })
})

describe('search in the sandbox', () => {
  it('finds matches with ripgrep, honouring .gitignore, skipping .git, smart case by default', async () => {
    const out = await searchTool.run({ pattern: 'needle' }, ctx())
    expect(out).toBe(
      'Found 3 matching lines in 2 files:\nnotes/a.md\n1:one needle\n4:four NEEDLE\nnotes/b.txt\n1:needle in b',
    )
  })

  it('filters by glob, shows context lines, respects case and caps the matches', async () => {
    expect(await searchTool.run({ pattern: 'needle', glob: '*.md', context_lines: 1 }, ctx())).toBe(
      'Found 2 matching lines in 1 file:\nnotes/a.md\n1:one needle\n2-two\n3-three\n4:four NEEDLE',
    )
    expect(await searchTool.run({ pattern: 'NEEDLE', case_sensitive: true }, ctx())).toBe(
      'Found 1 matching line in 1 file:\nnotes/a.md\n4:four NEEDLE',
    )
    const capped = await searchTool.run({ pattern: 'needle', max_results: 1 }, ctx())
    expect(capped).toMatch(/^Showing the first 1 matching line in 1 file:\n/)
    expect(capped).toMatch(/\n2 more matches not shown; narrow the pattern, path or glob\.$/)
  })

  it('takes a pattern that looks like a flag or a shell command as text, and refuses bad input', async () => {
    await writeFile(join(workspace, 'notes/flags.txt'), '--files $(touch pwned)\n')
    expect(await searchTool.run({ pattern: '--files $(touch pwned)', literal: true }, ctx())).toBe(
      'Found 1 matching line in 1 file:\nnotes/flags.txt\n1:--files $(touch pwned)',
    )
    expect(await readdir(workspace)).not.toContain('pwned')
    expect(await toolFailure(searchTool.run({ pattern: '(unclosed' }, ctx()))).toMatch(
      /search failed: .*regex/is,
    )
    expect(await toolFailure(searchTool.run({ pattern: 'x', path: '../..' }, ctx()))).toMatch(
      /outside the workspace/,
    )
  })
})

describe('list_files in the sandbox', () => {
  it('lists to depth 2 by default with folders marked, ignored files and .git left out', async () => {
    const out = await listFilesTool.run({}, ctx())
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^\/workspace \(\d+ files; depth 2; ignored files and \.git not listed\):$/)
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining(['src/', '  deep/  (1 file deeper)', '  main.py', '.gitignore']),
    )
    expect(out).not.toMatch(/node_modules|debug\.log|\.git\/|HEAD/)
    const deep = await listFilesTool.run({ path: 'src', depth: 3 }, ctx())
    expect(deep.split('\n').slice(1)).toEqual(['deep/', '  er/', '    x.py', 'main.py', 'util.py'])
    expect(await listFilesTool.run({ path: 'src', depth: 1, max_entries: 1 }, ctx())).toMatch(
      /^\/workspace\/src \(3 files; depth 1; ignored files and \.git not listed\):\ndeep\/ {2}\(1 file deeper\)\n… 2 more entries not shown/,
    )
  })
})
