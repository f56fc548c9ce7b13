import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { blobId, resolveContents } from '../../../src/main/git/contents'
import { NULL_SHA, type RawEntry } from '../../../src/main/git/diff-parse'
import { runGit } from '../../../src/main/git/git'
import { reverseApply, sideFromSection } from '../../../src/main/git/patch-content'
import { tempDir } from '../../support/tmp'

/** git's own patch between two contents (`diff --no-index`). */
async function gitPatch(dir: string, before: string, after: string): Promise<Buffer> {
  await writeFile(join(dir, 'old'), before)
  await writeFile(join(dir, 'new'), after)
  const res = await runGit(['diff', '--no-index', '--no-color', '--', 'old', 'new'], {
    cwd: dir,
    successExitCodes: [0, 1],
  })
  return res.stdoutBuffer ?? Buffer.alloc(0)
}

/** A small deterministic PRNG, so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0
    return a / 4294967296
  }
}

function randomText(rand: () => number, lines: number): string {
  const out: string[] = []
  for (let i = 0; i < lines; i++)
    out.push(rand() < 0.1 ? '' : `line ${Math.floor(rand() * 20)}${rand() < 0.05 ? '\r' : ''}`)
  return out.join('\n') + (rand() < 0.7 ? '\n' : '')
}

function mutate(rand: () => number, text: string): string {
  const lines = text.split('\n')
  const edits = 1 + Math.floor(rand() * 6)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (lines.length + 1))
    const r = rand()
    if (r < 0.33) lines.splice(at, 1)
    else if (r < 0.66) lines.splice(at, 0, `inserted ${e}`)
    else lines[at] = `changed ${e}`
  }
  let out = lines.join('\n')
  if (rand() < 0.2) out = out.endsWith('\n') ? out.slice(0, -1) : `${out}\n`
  return out
}

describe('contents from patches', () => {
  it('recovers the old side by applying the patch in reverse (random edits, newline edge cases)', async () => {
    const dir = await tempDir()
    const rand = rng(7)
    const cases: [string, string][] = [
      ['a\nb\nc\n', 'a\nb\nc'],
      ['a\nb\nc', 'a\nb\nc\n'],
      ['', 'x\n'],
      ['x\n', ''],
      ['only\n', 'changed'],
    ]
    for (let i = 0; i < 60; i++) {
      const before = randomText(rand, 1 + Math.floor(rand() * 40))
      cases.push([before, mutate(rand, before)])
    }
    for (const [before, after] of cases) {
      if (before === after) continue
      const patch = await gitPatch(dir, before, after)
      const old = reverseApply(Buffer.from(after), patch)
      expect(old?.toString(), JSON.stringify({ before, after })).toBe(before)
    }
  })

  it('takes created and deleted files from their + and - lines', async () => {
    const dir = await tempDir()
    const text = 'first\n\nthird without newline'
    await writeFile(join(dir, 'f'), text)
    const created = await runGit(['diff', '--no-index', '--', '/dev/null', 'f'], {
      cwd: dir,
      successExitCodes: [1],
    })
    expect(sideFromSection(created.stdoutBuffer ?? Buffer.alloc(0), 'new')?.toString()).toBe(text)
    const deleted = await runGit(['diff', '--no-index', '--', 'f', '/dev/null'], {
      cwd: dir,
      successExitCodes: [1],
    })
    expect(sideFromSection(deleted.stdoutBuffer ?? Buffer.alloc(0), 'old')?.toString()).toBe(text)
  })

  it('refuses a patch that does not fit the content', () => {
    const section = Buffer.from('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -5,2 +5,2 @@\n-a\n+b\n c\n')
    expect(reverseApply(Buffer.from('one line\n'), section)).toBeNull()
  })

  it('never trusts content that does not hash to the blob id: it reads the object store instead', async () => {
    const dir = await tempDir()
    await runGit(['init', '-q'], { cwd: dir })
    const store = async (text: string): Promise<string> =>
      (await runGit(['hash-object', '-w', '--stdin'], { cwd: dir, input: text })).stdout.trim()
    const oldSha = await store('old\n')
    const newSha = await store('new\n')
    expect(blobId(Buffer.from('new\n'))).toBe(newSha)
    const entry: RawEntry = {
      status: 'M',
      oldMode: '100644',
      newMode: '100644',
      oldSha,
      newSha,
      oldPath: 'f',
      newPath: 'f',
    }
    const section = Buffer.from('diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n+new\n')
    // What the workspace holds now is not what was staged (say it changed since, or was swapped).
    const tampered = new Map([[newSha, Buffer.from('/etc/shadow contents\n')]])
    const contents = await resolveContents(
      [{ entry, sections: [section], binary: false }],
      tampered,
      1 << 20,
      { cwd: dir },
    )
    expect(contents.get(newSha)?.toString()).toBe('new\n')
    expect(contents.get(oldSha)?.toString()).toBe('old\n')
    expect(contents.get(NULL_SHA)).toBeUndefined()
  })

  it('marks blobs above the limit as too large', async () => {
    const dir = await tempDir()
    await runGit(['init', '-q'], { cwd: dir })
    const big = 'x'.repeat(5000) + '\n'
    const sha = (await runGit(['hash-object', '-w', '--stdin'], { cwd: dir, input: big })).stdout.trim()
    const entry: RawEntry = {
      status: 'D',
      oldMode: '100644',
      newMode: '000000',
      oldSha: sha,
      newSha: NULL_SHA,
      oldPath: 'b',
      newPath: 'b',
    }
    const section = Buffer.from(
      `diff --git a/b b/b\ndeleted file mode 100644\n--- a/b\n+++ /dev/null\n@@ -1 +0,0 @@\n-${big}`,
    )
    const contents = await resolveContents([{ entry, sections: [section], binary: false }], new Map(), 1000, {
      cwd: dir,
    })
    expect(contents.get(sha)).toBeUndefined()
    expect(contents.tooLarge(sha)).toBe(true)
  })
})
