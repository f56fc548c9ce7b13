import { describe, expect, it } from 'vitest'
import {
  fenced,
  inlineCode,
  isEmptyReview,
  languageOf,
  reviewMessage,
  type ReviewMessageInput,
} from '../../../src/main/engine/review-message'
import type { ReviewComment } from '../../../src/shared/review'

const comment = (over: Partial<ReviewComment>): ReviewComment => ({
  id: 'c1',
  path: 'src/app.ts',
  side: 'new',
  startLine: 12,
  endLine: 12,
  code: 'const port = 8080',
  text: 'Read the port from the environment.',
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  state: 'open',
  ...over,
})

const apiPatch = [
  'diff --git a/src/api.ts b/src/api.ts',
  'index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644',
  '--- a/src/api.ts',
  '+++ b/src/api.ts',
  '@@ -10,3 +10,4 @@ export function handler() {',
  ' a',
  '+b',
  ' c',
  ' d',
  '',
].join('\n')

const review: ReviewMessageInput = {
  note: '  Good start; a few things.  ',
  comments: [
    comment({}),
    comment({
      id: 'c2',
      path: 'lib/util.py',
      side: 'old',
      startLine: 3,
      endLine: 5,
      code: 'def f():\n    pass\n',
      text: 'Keep this function.',
    }),
  ],
  excluded: [
    {
      path: 'src/api.ts',
      header: '@@ -10,3 +10,4 @@ export function handler() {',
      reason: "don't touch the public API",
      patch: apiPatch,
    },
    {
      path: 'src/api.ts',
      header: '@@ -40,2 +41,3 @@',
      lines: [
        { kind: 'add', line: 42 },
        { kind: 'del', line: 40 },
        { kind: 'add', line: 43 },
      ],
      patch: apiPatch,
    },
  ],
  excludedFiles: ['docs/notes.md'],
  discarded: [{ path: 'build.sh', reason: 'not needed', patch: 'diff --git a/build.sh b/build.sh\n' }],
}

describe('the Request-changes message', () => {
  it('lays out the note, the comments, the left-out and the discarded changes exactly', () => {
    expect(reviewMessage(review)).toBe(
      [
        '# Review of your changes',
        '',
        'Good start; a few things.',
        '',
        '## Comments',
        '',
        '### 1. `src/app.ts`, line 12 (changed file)',
        '',
        '```ts',
        'const port = 8080',
        '```',
        '',
        'Read the port from the environment.',
        '',
        '### 2. `lib/util.py`, lines 3–5 (original file)',
        '',
        '```python',
        'def f():',
        '    pass',
        '```',
        '',
        'Keep this function.',
        '',
        '## Changes left out of what will be published',
        '',
        'The reviewer left these changes out of what will be published. They are still in your workspace.',
        '',
        '### 1. `src/api.ts`: hunk `@@ -10,3 +10,4 @@ export function handler() {`',
        '',
        "Reason: don't touch the public API",
        '',
        '```diff',
        apiPatch + '```',
        '',
        '### 2. `src/api.ts`: lines of hunk `@@ -40,2 +41,3 @@` (added: 42, 43; removed: 40)',
        '',
        'No reason given.',
        '',
        '```diff',
        apiPatch + '```',
        '',
        'Files left out whole (their changes stay in your workspace):',
        '',
        '- `docs/notes.md`',
        '',
        '## Changes discarded from the workspace',
        '',
        'The reviewer removed these changes from your workspace: the files no longer have them. Do not make them again unless a comment asks for it.',
        '',
        '### 1. `build.sh`: the whole file',
        '',
        'Reason: not needed',
        '',
        '```diff',
        'diff --git a/build.sh b/build.sh',
        '```',
        '',
      ].join('\n'),
    )
  })

  it('leaves out the sections that have nothing, and says a lines-only discard as lines of its hunk', () => {
    const text = reviewMessage({
      comments: [],
      excluded: [],
      excludedFiles: [],
      discarded: [{ path: 'a.txt', header: '@@ -1 +1 @@', lines: [], patch: '@@ -1 +1 @@\n-a\n+b\n' }],
    })
    expect(text).not.toContain('## Comments')
    expect(text).not.toContain('## Changes left out')
    expect(text).toContain('### 1. `a.txt`: lines of hunk `@@ -1 +1 @@`\n\nNo reason given.')
  })

  it('fences code that itself holds ``` with a longer fence, so the block cannot end early', () => {
    const code = 'const md = `\n```js\nx\n```\n`'
    const text = reviewMessage({
      comments: [comment({ code, path: 'README.md' })],
      excluded: [],
      excludedFiles: [],
      discarded: [],
    })
    expect(text).toContain('````markdown\n' + code + '\n````\n')
    expect(fenced('a ````` b')).toBe('``````\na ````` b\n``````')
    expect(fenced('')).toBe('```\n```')
  })

  it('shows paths with backticks or control characters as safe inline code', () => {
    expect(inlineCode('a`b.ts')).toBe('``a`b.ts``')
    expect(inlineCode('`x`')).toBe('`` `x` ``')
    expect(inlineCode('evil\n## Injected.ts')).toBe('`evil\\u{a}## Injected.ts`')
  })

  it('knows the fence language of common files and none of others', () => {
    expect(languageOf('src/a.TSX')).toBe('tsx')
    expect(languageOf('Makefile')).toBe('')
    expect(languageOf('.env')).toBe('')
  })

  it('counts a review with nothing in it as empty', () => {
    const none = { comments: [], excluded: [], excludedFiles: [], discarded: [] }
    expect(isEmptyReview({ ...none, note: '   ' })).toBe(true)
    expect(isEmptyReview({ ...none, note: 'x' })).toBe(false)
    expect(isEmptyReview({ ...none, excludedFiles: ['a'] })).toBe(false)
  })
})
