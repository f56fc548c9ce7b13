import { chmod, rename, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FileDiff } from '../../../src/shared/diff'
import { computeDiff } from '../../../src/main/git/diff'
import { splitPatch } from '../../../src/main/git/diff-parse'
import { parseFileHunks } from '../../../src/main/git/hunks'
import { writeFiles } from '../../support/files'
import { taskFixture, type TaskFixture } from '../../support/git-fixture'

const numbered = (n: number, name = 'line'): string[] =>
  Array.from({ length: n }, (_, i) => `${name} ${i + 1}`)
const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('')

async function diffOf(f: TaskFixture, maxInlineBytes?: number): Promise<Map<string, FileDiff>> {
  const result = await computeDiff({ ...f, workspace: f.ws, maxInlineBytes })
  return new Map(result.fileDiffs.map((d) => [d.newPath ?? d.oldPath ?? '', d]))
}

/** The section of `path` in the workspace's diff. */
async function sectionOf(f: TaskFixture, path: string): Promise<Buffer> {
  const patch = Buffer.from((await computeDiff({ ...f, workspace: f.ws })).patch)
  const found = splitPatch(patch).find((s) => s.toString('utf8').startsWith(`diff --git a/${path} `))
  if (!found) throw new Error(`no section for ${path}`)
  return found
}

describe('parseFileHunks', () => {
  it('numbers deletions in the old file and additions in the new one', async () => {
    const f = await taskFixture((dir) => writeFiles(dir, { 'f.txt': text(numbered(20)) }))
    const lines = numbered(20)
    lines.splice(1, 1, 'TWO', 'TWO and a half') // line 2 replaced by two lines
    lines.splice(15, 2) // old lines 15 and 16 deleted (new index shifted by one)
    await writeFile(join(f.ws, 'f.txt'), text(lines))
    const hunks = (await diffOf(f)).get('f.txt')?.hunks
    expect(hunks?.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [1, 5, 1, 6],
      [12, 8, 13, 6],
    ])
    expect(hunks?.[0]?.header).toBe('@@ -1,5 +1,6 @@')
    expect(hunks?.[0]?.changes).toEqual([
      { kind: 'del', line: 2 },
      { kind: 'add', line: 2 },
      { kind: 'add', line: 3 },
    ])
    expect(hunks?.[1]?.changes).toEqual([
      { kind: 'del', line: 15 },
      { kind: 'del', line: 16 },
    ])
  })

  it('keeps a hunk key when an unrelated earlier hunk changes and the hunk moves', async () => {
    const f = await taskFixture((dir) => writeFiles(dir, { 'f.txt': text(numbered(40)) }))
    const late = numbered(40).map((l, i) => (i === 30 ? 'THIRTY-ONE' : l))
    await writeFile(join(f.ws, 'f.txt'), text(late))
    const before = (await diffOf(f)).get('f.txt')?.hunks ?? []
    expect(before).toHaveLength(1)

    const moved = ['a new first line', 'and a second', ...late.map((l, i) => (i === 4 ? 'FIVE' : l))]
    await writeFile(join(f.ws, 'f.txt'), text(moved))
    const after = (await diffOf(f)).get('f.txt')?.hunks ?? []
    expect(after).toHaveLength(2)
    expect(after[1]?.key).toBe(before[0]?.key)
    expect(after[1]?.newStart).toBe((before[0]?.newStart ?? 0) + 2)
    expect(after[0]?.key).not.toBe(before[0]?.key)
    expect(before[0]?.key).toMatch(/^[0-9a-f]{40}$/)
  })

  it('numbers identical hunks of a file #2, #3…', async () => {
    const block = ['p', 'q', 'r', 'OLD', 's', 't', 'u', 'f1', 'f2', 'f3', 'f4']
    const f = await taskFixture((dir) => writeFiles(dir, { 'f.txt': text([...block, ...block, ...block]) }))
    const changed = [...block, ...block, ...block].map((l) => (l === 'OLD' ? 'NEW' : l))
    await writeFile(join(f.ws, 'f.txt'), text(changed))
    const keys = (await diffOf(f)).get('f.txt')?.hunks?.map((h) => h.key) ?? []
    expect(keys).toHaveLength(3)
    const [first = ''] = keys
    expect(first).toMatch(/^[0-9a-f]{40}$/)
    expect(keys).toEqual([first, `${first}#2`, `${first}#3`])
  })

  it('reads content lines that look like headers or markers as content', async () => {
    const tricky = ['@@ -1 +1 @@', 'diff --git a/x b/x', '--- a/x', '+++ b/x', '\\ not a marker', 'end']
    const f = await taskFixture((dir) => writeFiles(dir, { 'f.txt': 'start\n' }))
    await writeFile(join(f.ws, 'f.txt'), text(['start', ...tricky]))
    const hunks = parseFileHunks(await sectionOf(f, 'f.txt'))
    expect(hunks).toHaveLength(1)
    expect(hunks?.[0]?.changes.map((c) => c.line)).toEqual([2, 3, 4, 5, 6, 7])
  })

  it('is null for a binary section and for a cut-off one', async () => {
    const f = await taskFixture((dir) =>
      writeFiles(dir, { 'bin.dat': Buffer.from([0, 1, 2, 0]), 'f.txt': text(numbered(5)) }),
    )
    await writeFile(join(f.ws, 'bin.dat'), Buffer.from([0, 1, 2, 3, 0]))
    await writeFile(join(f.ws, 'f.txt'), text(numbered(6)))
    expect(parseFileHunks(await sectionOf(f, 'bin.dat'))).toBeNull()
    const section = await sectionOf(f, 'f.txt')
    expect(parseFileHunks(section)).toHaveLength(1)
    expect(parseFileHunks(section.subarray(0, section.length - 8))).toBeNull()
    expect(parseFileHunks(Buffer.from('not a section\n'))).toBeNull()
  })
})

describe('hunks in the diff', () => {
  it('are given for text files added, deleted or modified, never for whole-file changes', async () => {
    const f = await taskFixture(async (dir) => {
      await writeFiles(dir, {
        'modified.txt': 'a\nb\n',
        'deleted.txt': 'gone\n',
        'mode.sh': 'echo\n',
        'old-name.md': 'a document long enough to be detected as a rename\n'.repeat(5),
        'bin.dat': Buffer.from([0, 1, 2, 0]),
        'big.txt': 'x\n',
        'becomes-link.txt': 'text\n',
      })
      await symlink('modified.txt', join(dir, 'link'))
    })
    await writeFiles(f.ws, {
      'modified.txt': 'a\nB\n',
      'added.txt': 'new\n',
      'bin.dat': Buffer.from([0, 1, 2, 3, 0]),
      'big.txt': 'y\n'.repeat(600),
    })
    await unlink(join(f.ws, 'deleted.txt'))
    await chmod(join(f.ws, 'mode.sh'), 0o755)
    await writeFile(join(f.ws, 'mode.sh'), 'echo hi\n')
    await rename(join(f.ws, 'old-name.md'), join(f.ws, 'new-name.md'))
    await unlink(join(f.ws, 'link'))
    await symlink('added.txt', join(f.ws, 'link'))
    await unlink(join(f.ws, 'becomes-link.txt'))
    await symlink('added.txt', join(f.ws, 'becomes-link.txt'))

    const files = await diffOf(f, 1000)
    const withHunks = [...files].filter(([, d]) => d.hunks !== undefined).map(([p]) => p)
    expect(withHunks.sort()).toEqual(['added.txt', 'deleted.txt', 'modified.txt'])
    expect(files.get('modified.txt')?.hunks?.[0]?.changes).toEqual([
      { kind: 'del', line: 2 },
      { kind: 'add', line: 2 },
    ])
    expect(files.get('deleted.txt')?.hunks?.[0]?.changes).toEqual([{ kind: 'del', line: 1 }])
    for (const p of ['mode.sh', 'new-name.md', 'bin.dat', 'big.txt', 'link', 'becomes-link.txt'])
      expect(files.has(p)).toBe(true)
    expect(files.get('big.txt')?.contentOmitted).toBe(true)
    expect(files.get('becomes-link.txt')?.status).toBe('type_changed')
  })
})
