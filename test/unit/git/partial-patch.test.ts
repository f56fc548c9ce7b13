import { spawnSync } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DIFF_INDEX_FILE } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { splitPatch } from '../../../src/main/git/diff-parse'
import { runGit, type GitOptions } from '../../../src/main/git/git'
import { parseFileHunks } from '../../../src/main/git/hunks'
import {
  exclusionsByFile,
  fileSection,
  onlySelection,
  partialPatch,
  selectedContent,
  type HunkSelection,
} from '../../../src/main/git/partial-patch'
import { writeFiles } from '../../support/files'
import { taskFixture } from '../../support/git-fixture'
import { tempDir } from '../../support/tmp'

/** A file's change committed as git sees it: its baseline content (null: added) and its section. */
interface Change {
  root: string
  old: Buffer | null
  section: Buffer
  keys: string[]
}

async function change(before: string | null, after: string | null): Promise<Change> {
  const root = await tempDir('codex-partial-')
  const ws = join(root, 'ws')
  await mkdir(ws)
  const git: GitOptions = { cwd: ws, gitDir: join(root, 'git'), workTree: ws }
  await runGit(['init', '-q'], git)
  await writeFile(join(ws, 'keep.txt'), 'so the baseline is never empty\n')
  if (before !== null) await writeFile(join(ws, 'f.txt'), before)
  await runGit(['add', '-A'], git)
  await runGit(['commit', '-q', '-m', 'baseline'], git)
  const baseline = (await runGit(['rev-parse', 'HEAD'], git)).stdout.trim()
  if (after === null) await rm(join(ws, 'f.txt'))
  else await writeFile(join(ws, 'f.txt'), after)
  await runGit(['add', '-A'], git)
  const section = await fileSection(git, baseline, 'f.txt')
  if (!section) throw new Error('no section')
  const keys = (parseFileHunks(section) ?? []).map((h) => h.key)
  return { root, old: before === null ? null : Buffer.from(before), section, keys }
}

const sel = (entries: [string, number[] | 'all'][]): HunkSelection =>
  new Map(entries.map(([k, v]) => [k, v === 'all' ? 'all' : new Set(v)]))

/** `git apply` (in a folder holding only the baseline file) of the partial patch. */
async function applied(c: Change, patch: Buffer): Promise<Buffer | null> {
  const dir = join(c.root, `apply-${Math.random().toString(36).slice(2)}`)
  await mkdir(dir)
  if (c.old) await writeFile(join(dir, 'f.txt'), c.old)
  await writeFile(join(c.root, 'p.patch'), patch)
  const check = spawnSync('git', ['apply', '--check', '-v', join(c.root, 'p.patch')], { cwd: dir })
  expect(check.stderr.toString()).not.toMatch(/offset|fuzz|error/i)
  expect(check.status).toBe(0)
  const res = spawnSync('git', ['apply', join(c.root, 'p.patch')], { cwd: dir })
  expect(res.status).toBe(0)
  return readFile(join(dir, 'f.txt')).catch(() => null)
}

/** Each `@@ … +c,d @@` hunk's new-side lines are lines c… of the expected file (its header is right). */
function expectHeadersMatch(patch: Buffer, expected: string): void {
  const lines = expected.split(/(?<=\n)/)
  const text = patch.toString('utf8')
  for (const m of text.matchAll(/^@@ -\d+,\d+ \+(\d+),(\d+) @@[^\n]*\n((?:[ +\-\\][^\n]*\n)*)/gm)) {
    const [start, count] = [Number(m[1]), Number(m[2])]
    const body = (m[3] ?? '').split(/(?<=\n)/).filter((l) => l && !l.startsWith('-') && !l.startsWith('\\'))
    expect(body.length).toBe(count)
    body.forEach((l, i) =>
      expect(lines[start - 1 + i]?.replace(/\n$/, '')).toBe(l.slice(1).replace(/\n$/, '')),
    )
  }
}

/** Checks the three ways of computing the selection agree with what the case was meant to keep. */
async function expectSelection(c: Change, excluded: HunkSelection, expected: string | null): Promise<void> {
  const content = selectedContent(c.old ?? Buffer.alloc(0), c.section, excluded)
  expect(content?.toString('latin1')).toBe(expected ?? '')
  const patch = partialPatch(c.section, excluded)
  const unchanged = expected === (c.old?.toString('latin1') ?? null)
  if (unchanged) {
    expect(patch.length).toBe(0)
    return
  }
  expect(patch.length).toBeGreaterThan(0)
  expectHeadersMatch(patch, expected ?? '')
  const result = await applied(c, patch)
  expect(result?.toString('latin1') ?? null).toBe(expected)
  if (content) expect(result?.equals(content)).toBe(true)
}

const numbered = (n: number): string[] => Array.from({ length: n }, (_, i) => `line ${i + 1}`)
const text = (lines: string[], eol = '\n'): string => lines.map((l) => l + eol).join('')

/** Baseline: 30 numbered lines. A: line 2 → TWO. B: lines 15–16 → X, Y. C: NEW after line 28. */
const THREE_OLD = text(numbered(30))
const THREE_NEW = text(
  numbered(30).flatMap((l, i) =>
    i === 1 ? ['TWO'] : i === 14 ? ['X', 'Y'] : i === 15 ? [] : i === 27 ? [l, 'NEW'] : [l],
  ),
)

/** The expectation, by hand: the numbered lines with the kept changes. */
function threeExpected(a: boolean, b: boolean, c: boolean): string {
  const out: string[] = []
  for (const [i, l] of numbered(30).entries()) {
    if (i === 1 && a) out.push('TWO')
    else if (i === 14 && b) out.push('X', 'Y')
    else if (i === 15 && b) continue
    else out.push(l)
    if (i === 27 && c) out.push('NEW')
  }
  return text(out)
}

describe('partial patches of a three-hunk file', () => {
  const combos = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => [!!(n & 1), !!(n & 2), !!(n & 4)] as const)
  it.each(combos)('includes first=%s middle=%s last=%s', async (a, b, c) => {
    const ch = await change(THREE_OLD, THREE_NEW)
    expect(ch.keys).toHaveLength(3)
    const [ka = '', kb = '', kc = ''] = ch.keys
    const excluded = sel([
      ...(a ? [] : [[ka, 'all']]),
      ...(b ? [] : [[kb, 'all']]),
      ...(c ? [] : [[kc, 'all']]),
    ] as [string, 'all'][])
    await expectSelection(ch, excluded, threeExpected(a, b, c))
  })

  it('keeps single lines of each hunk (only that line, everything else left out)', async () => {
    const ch = await change(THREE_OLD, THREE_NEW)
    const [ka = '', kb = '', kc = ''] = ch.keys
    const base = numbered(30)
    const without = (i: number): string[] => base.filter((_, j) => j !== i)
    const cases: [string, number, string[]][] = [
      [ka, 0, without(1)],
      [ka, 1, [...base.slice(0, 2), 'TWO', ...base.slice(2)]],
      [kb, 0, without(14)],
      [kb, 1, without(15)],
      [kb, 2, [...base.slice(0, 16), 'X', ...base.slice(16)]],
      [kb, 3, [...base.slice(0, 16), 'Y', ...base.slice(16)]],
      [kc, 0, [...base.slice(0, 28), 'NEW', ...base.slice(28)]],
    ]
    for (const [key, line, lines] of cases)
      await expectSelection(ch, onlySelection(ch.section, key, [line]), text(lines))
  })

  it('moves later hunks up or down by what earlier ones no longer change', async () => {
    const ch = await change(THREE_OLD, THREE_NEW)
    const [ka = '', kb = ''] = ch.keys
    // A keeps line 2 and adds TWO (+1); B keeps line 16 before X, Y (+1): C's new start moves by 2.
    const expected = text(
      numbered(30).flatMap((l, i) =>
        i === 1 ? [l, 'TWO'] : i === 14 ? [] : i === 15 ? [l, 'X', 'Y'] : i === 27 ? [l, 'NEW'] : [l],
      ),
    )
    await expectSelection(
      ch,
      sel([
        [ka, [0]],
        [kb, [1]],
      ]),
      expected,
    )
    expect(
      partialPatch(
        ch.section,
        sel([
          [ka, [0]],
          [kb, [1]],
        ]),
      ).toString(),
    ).toContain('@@ -26,5 +28,6 @@')
  })
})

describe('partial patches of a replaced line', () => {
  it('keeps the deletion and drops the addition, and the other way round', async () => {
    const ch = await change('a\nb\nc\n', 'a\nB\nc\n')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [0]]]), 'a\nb\nB\nc\n')
    await expectSelection(ch, sel([[k, [1]]]), 'a\nc\n')
    await expectSelection(ch, sel([[k, 'all']]), 'a\nb\nc\n')
    await expectSelection(ch, sel([]), 'a\nB\nc\n')
  })

  it('leaves nothing for a hunk the file does not have, the whole hunk when no lines are named', async () => {
    const ch = await change('a\nb\nc\n', 'a\nB\nc\n')
    const [k = ''] = ch.keys
    expect(partialPatch(ch.section, onlySelection(ch.section, 'f'.repeat(40))).length).toBe(0)
    expect(onlySelection(ch.section, k).size).toBe(0)
    expect(onlySelection(ch.section, k, [0, 1]).size).toBe(0)
    await expectSelection(ch, onlySelection(ch.section, k), 'a\nB\nc\n')
  })

  it('keeps CRLF line ends byte for byte', async () => {
    const ch = await change('a\r\nb\r\nc\r\n', 'a\r\nB\r\nc\r\nd\r\n')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [0]]]), 'a\r\nb\r\nB\r\nc\r\nd\r\n')
    await expectSelection(ch, sel([[k, [1, 2]]]), 'a\r\nc\r\n')
    await expectSelection(ch, sel([[k, [2]]]), 'a\r\nB\r\nc\r\n')
  })

  it('gives a CRLF line without newline its CRLF back when lines follow it', async () => {
    const ch = await change('a\r\nb', 'a\r\nB\r\nc\r\n')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [0]]]), 'a\r\nb\r\nB\r\nc\r\n')
    await expectSelection(ch, sel([[k, [1, 2]]]), 'a\r\n')
  })
})

describe('partial patches and the missing newline at the end', () => {
  it('on the old side', async () => {
    // -c (no newline) +C +d
    const ch = await change('a\nb\nc', 'a\nb\nC\nd\n')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [0]]]), 'a\nb\nc\nC\nd\n')
    await expectSelection(ch, sel([[k, [1]]]), 'a\nb\nd\n')
    await expectSelection(ch, sel([[k, [1, 2]]]), 'a\nb\n')
    await expectSelection(ch, sel([[k, [0, 2]]]), 'a\nb\nc\nC\n')
    await expectSelection(ch, sel([[k, [0, 1, 2]]]), 'a\nb\nc')
  })

  it('on the new side', async () => {
    // -c +C +d (no newline)
    const ch = await change('a\nb\nc\n', 'a\nb\nC\nd')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [2]]]), 'a\nb\nC\n')
    await expectSelection(ch, sel([[k, [0]]]), 'a\nb\nc\nC\nd')
    await expectSelection(ch, sel([[k, [1]]]), 'a\nb\nd')
    await expectSelection(ch, sel([[k, [0, 1]]]), 'a\nb\nc\nd')
  })

  it('on both sides', async () => {
    // -b -c (no newline) +B +c +d (no newline)
    const ch = await change('a\nb\nc', 'a\nB\nc\nd')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [1]]]), 'a\nc\nB\nc\nd')
    await expectSelection(ch, sel([[k, [4]]]), 'a\nB\nc\n')
    await expectSelection(ch, sel([[k, [3, 4]]]), 'a\nB\n')
    await expectSelection(ch, sel([[k, [0, 1, 2]]]), 'a\nb\nc\nc\nd')
    await expectSelection(ch, sel([[k, [2, 3, 4]]]), 'a\n')
  })

  it('when only the newline changes', async () => {
    const ch = await change('a\nb', 'a\nb\n')
    const [k = ''] = ch.keys
    await expectSelection(ch, sel([[k, [0]]]), 'a\nb\nb\n')
    await expectSelection(ch, sel([[k, [1]]]), 'a\n')
  })
})

describe('partial patches of added and deleted files', () => {
  it('an added file with some lines stays a creation', async () => {
    const ch = await change(null, 'x\ny\nz\n')
    const [k = ''] = ch.keys
    const excluded = sel([[k, [1]]])
    await expectSelection(ch, excluded, 'x\nz\n')
    const patch = partialPatch(ch.section, excluded).toString()
    expect(patch).toContain('\nnew file mode 100644\n')
    expect(patch).toContain('\n--- /dev/null\n')
    expect(patch).toContain('@@ -0,0 +1,2 @@')
    await expectSelection(ch, sel([[k, 'all']]), null)
  })

  it('a deleted file with lines kept becomes a modification', async () => {
    const ch = await change('x\ny\nz', null)
    const [k = ''] = ch.keys
    const excluded = sel([[k, [0, 2]]])
    await expectSelection(ch, excluded, 'x\nz')
    const patch = partialPatch(ch.section, excluded).toString()
    expect(patch).not.toContain('deleted file mode')
    expect(patch).toContain('\n+++ b/f.txt\n')
    await expectSelection(ch, sel([[k, [1]]]), 'y\n')
  })

  it('gives null content when the section is not the patch of that content', async () => {
    const ch = await change('a\nb\nc\n', 'a\nB\nc\n')
    expect(selectedContent(Buffer.from('a\nX\nc\n'), ch.section, sel([]))).toBeNull()
    expect(selectedContent(Buffer.from('a\nb\n'), ch.section, sel([]))).toBeNull()
  })
})

describe('exclusionsByFile', () => {
  it('groups per path and merges lines of the same hunk, a whole hunk winning', () => {
    const k1 = 'a'.repeat(40)
    const k2 = 'b'.repeat(40)
    const files = exclusionsByFile([
      { path: 'x', key: k1, lines: [1] },
      { path: 'x', key: k1, lines: [3, 1] },
      { path: 'x', key: k2, lines: [0] },
      { path: 'x', key: k2 },
      { path: 'y', key: k1 },
    ])
    expect([...files.keys()]).toEqual(['x', 'y'])
    expect(files.get('x')?.get(k1)).toEqual(new Set([1, 3]))
    expect(files.get('x')?.get(k2)).toBe('all')
    expect(files.get('y')?.get(k1)).toBe('all')
  })
})

describe('fileSection', () => {
  it("gives each file's section exactly as the diff has it, hunk keys included", async () => {
    const names = ['mod.txt', 'gone.txt', 'added.txt', 'tab\tand "quote".txt', 'é.txt', 'similar-old.md']
    const doc = 'a document long enough to be detected as a rename\n'.repeat(5)
    const f = await taskFixture((dir) =>
      writeFiles(dir, {
        'mod.txt': 'a\nb\n',
        'gone.txt': 'x\n',
        'tab\tand "quote".txt': 'q\n',
        'é.txt': 'e\n',
        'similar-old.md': doc,
      }),
    )
    await writeFiles(f.ws, {
      'mod.txt': 'a\nB\n',
      'added.txt': 'n\n',
      'tab\tand "quote".txt': 'Q\n',
      'é.txt': 'E\n',
    })
    await writeFiles(f.ws, { 'similar-new.md': doc + 'one more line\n' })
    await rm(join(f.ws, 'gone.txt'))
    await rm(join(f.ws, 'similar-old.md'))
    const diff = await computeDiff({ ...f, workspace: f.ws })
    const sections = splitPatch(Buffer.from(diff.patch))
    const git: GitOptions = { gitDir: f.gitDir, env: { GIT_INDEX_FILE: join(f.gitDir, DIFF_INDEX_FILE) } }
    for (const name of names.slice(0, 5)) {
      const section = await fileSection(git, f.baseline, name)
      expect(section && sections.some((s) => s.equals(section))).toBe(true)
      const hunks = diff.fileDiffs.find((d) => (d.newPath ?? d.oldPath) === name)?.hunks
      expect(parseFileHunks(section ?? Buffer.alloc(0))).toEqual(hunks)
    }
    // Renamed in the diff; on its own the new path is an added file, never paired with another path.
    const added = (await fileSection(git, f.baseline, 'similar-new.md'))?.toString() ?? ''
    expect(added).toContain('\nnew file mode 100644\n')
    expect(added).not.toContain('similar-old.md')
    expect(await fileSection(git, f.baseline, 'not-changed.txt')).toBeNull()
    expect(await fileSection(git, f.baseline, '*.txt')).toBeNull()
  })
})
