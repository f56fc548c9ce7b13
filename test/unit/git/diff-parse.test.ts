import { describe, expect, it } from 'vitest'
import { parseDiffOutput, sectionStats, splitPatch, statsPerEntry } from '../../../src/main/git/diff-parse'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const Z = '0'.repeat(40)

const patch = [
  'diff --git a/m.txt b/m.txt',
  `index ${A}..${B} 100644`,
  '--- a/m.txt',
  '+++ b/m.txt',
  '@@ -1,2 +1,3 @@',
  ' same',
  '-old',
  '+new',
  '+++plus line starting with pluses',
  '\\ No newline at end of file',
  'diff --git a/t b/t',
  'deleted file mode 100644',
  `index ${A}..${Z}`,
  '--- a/t',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-x',
  'diff --git a/t b/t',
  'new file mode 120000',
  `index ${Z}..${B}`,
  '--- /dev/null',
  '+++ b/t',
  '@@ -0,0 +1 @@',
  '+target',
  'diff --git a/bin b/bin',
  'new file mode 100644',
  `index ${Z}..${B}`,
  'GIT binary patch',
  'literal 4',
  'LcmZQzWMT#Y01f~L',
  '',
  'literal 0',
  'HcmV?d00001',
  '',
  'diff --git a/r1 b/r2',
  'similarity index 100%',
  'rename from r1',
  'rename to r2',
  '',
].join('\n')

const raw =
  `:100644 100644 ${A} ${B} M\0m.txt\0` +
  `:100644 120000 ${A} ${B} T\0t\0` +
  `:000000 100644 ${Z} ${B} A\0bin\0` +
  `:100644 100644 ${A} ${A} R100\0r1\0r2\0` +
  '\0'

describe('diff output parsing', () => {
  it('parses raw records, including renames with two paths, and finds the patch', () => {
    const parsed = parseDiffOutput(Buffer.from(raw + patch))
    expect(parsed.entries.map((e) => [e.status, e.oldPath, e.newPath, e.oldMode, e.newMode])).toEqual([
      ['M', 'm.txt', 'm.txt', '100644', '100644'],
      ['T', 't', 't', '100644', '120000'],
      ['A', 'bin', 'bin', '000000', '100644'],
      ['R', 'r1', 'r2', '100644', '100644'],
    ])
    expect(parsed.entries[0]?.oldSha).toBe(A)
    expect(parsed.patch.toString()).toBe(patch)
  })

  it('splits the patch into sections and counts lines, binary included', () => {
    const sections = splitPatch(Buffer.from(patch))
    expect(sections).toHaveLength(5)
    expect(sections.map((s) => sectionStats(s))).toEqual([
      { additions: 2, deletions: 1, binary: false },
      { additions: 0, deletions: 1, binary: false },
      { additions: 1, deletions: 0, binary: false },
      { additions: 0, deletions: 0, binary: true },
      { additions: 0, deletions: 0, binary: false },
    ])
  })

  it('gives a type change both of its sections', () => {
    const parsed = parseDiffOutput(Buffer.from(raw + patch))
    expect(statsPerEntry(parsed.entries, parsed.patch)).toEqual([
      { additions: 2, deletions: 1, binary: false },
      { additions: 1, deletions: 1, binary: false },
      { additions: 0, deletions: 0, binary: true },
      { additions: 0, deletions: 0, binary: false },
    ])
  })

  it('handles empty output', () => {
    const parsed = parseDiffOutput(Buffer.alloc(0))
    expect(parsed.entries).toEqual([])
    expect(splitPatch(parsed.patch)).toEqual([])
  })

  it('detects "Binary files differ" notices', () => {
    const s = Buffer.from(`diff --git a/x b/x\nindex ${A}..${B} 100644\nBinary files a/x and b/x differ\n`)
    expect(sectionStats(s).binary).toBe(true)
  })
})
