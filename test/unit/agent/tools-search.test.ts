import { describe, expect, it } from 'vitest'
import { listFilesTool, searchTool, type Workspace } from '../../../src/main/agent/tools'
import { formatListResult } from '../../../src/main/agent/tools/list-files'
import { formatSearchResult, SEARCH_MAX_BYTES } from '../../../src/main/agent/tools/search'
import { toolFailure } from '../../support/files'

/** A workspace whose codex-tool answers with a fixed reply, recording each request it was sent. */
function helperAnswering(reply: object): { workspace: Workspace; requests: Array<Record<string, unknown>> } {
  const requests: Array<Record<string, unknown>> = []
  const workspace: Workspace = {
    async exec(argv, opts) {
      expect(argv).toEqual(['codex-tool'])
      requests.push(JSON.parse(String(opts?.stdin)) as Record<string, unknown>)
      return {
        exitCode: 0,
        stdout: JSON.stringify({ ok: true, ...reply }),
        stderr: '',
        timedOut: false,
        truncated: false,
      }
    },
  }
  return { workspace, requests }
}

const entry = (path: string, line: number, text: string, match = true) => ({ path, line, text, match })

describe('search', () => {
  it('sends the pattern and options as one request (never a command line)', async () => {
    const { workspace, requests } = helperAnswering({ entries: [], shown: 0, more: 0 })
    const pattern = '"; rm -rf / #$(x)'
    expect(
      await searchTool.run({ pattern, glob: '*.ts', context_lines: 2, case_sensitive: false }, { workspace }),
    ).toBe(`No matches for ${JSON.stringify(pattern)}.`)
    expect(requests).toEqual([
      {
        op: 'search',
        pattern,
        glob: '*.ts',
        context: 2,
        case_sensitive: false,
        max_matches: 100,
        max_bytes: SEARCH_MAX_BYTES,
      },
    ])
  })

  it('validates its arguments', async () => {
    const { workspace, requests } = helperAnswering({ entries: [], shown: 0, more: 0 })
    for (const args of [
      {},
      { pattern: '' },
      { pattern: 'x', context_lines: 11 },
      { pattern: 'x', max_results: 0 },
    ]) {
      expect(await toolFailure(searchTool.run(args, { workspace }))).toMatch(/Invalid arguments for search/)
    }
    expect(requests).toEqual([])
  })

  it('groups matches by file, marks context lines, separates groups and counts what is not shown', () => {
    const text = formatSearchResult('needle', {
      entries: [
        entry('src/a.ts', 3, 'before', false),
        entry('src/a.ts', 4, 'a needle'),
        entry('src/a.ts', 5, 'after', false),
        entry('src/a.ts', 40, 'needle again'),
        entry('b.md', 1, 'needle'),
      ],
      shown: 3,
      more: 7,
    })
    expect(text).toBe(
      [
        'Showing the first 3 matching lines in 2 files:',
        'src/a.ts',
        '3-before',
        '4:a needle',
        '5-after',
        '--',
        '40:needle again',
        'b.md',
        '1:needle',
        '7 more matches not shown; narrow the pattern, path or glob.',
      ].join('\n'),
    )
    expect(formatSearchResult('x', { entries: [entry('a', 1, 'x')], shown: 1, more: 0 })).toBe(
      'Found 1 matching line in 1 file:\na\n1:x',
    )
  })

  it('says when the search timed out or some files could not be read', () => {
    const text = formatSearchResult('x', {
      entries: [entry('a', 1, 'x')],
      shown: 1,
      more: 0,
      timed_out: true,
      errors: 'b: Permission denied (os error 13)',
    })
    expect(text).toMatch(/timed out; the results are incomplete/)
    expect(text).toMatch(/could not be searched: b: Permission denied/)
  })
})

describe('list_files', () => {
  it('asks for depth 2 by default and validates depth', async () => {
    const { workspace, requests } = helperAnswering({ base: '.', entries: [], more: 0, files: 0 })
    expect(await listFilesTool.run({}, { workspace })).toMatch(/no files/)
    expect(requests).toEqual([{ op: 'list', depth: 2, max_entries: 400 }])
    expect(await toolFailure(listFilesTool.run({ depth: 0 }, { workspace }))).toMatch(/Invalid arguments/)
    expect(await toolFailure(listFilesTool.run({ depth: 11 }, { workspace }))).toMatch(/Invalid arguments/)
  })

  it('shows a tree with folders marked, deeper files counted and the cap stated', () => {
    const text = formatListResult(
      {
        base: 'src',
        entries: [
          { path: 'lib/', dir: true, below: 0 },
          { path: 'lib/deep/', dir: true, below: 12 },
          { path: 'lib/x.ts', dir: false, below: 0 },
          { path: 'main.ts', dir: false, below: 0 },
        ],
        more: 5,
        files: 20,
      },
      2,
    )
    expect(text).toBe(
      [
        '/workspace/src (20 files; depth 2; ignored files and .git not listed):',
        'lib/',
        '  deep/  (12 files deeper)',
        '  x.ts',
        'main.ts',
        '… 5 more entries not shown; list a subfolder or use a smaller depth.',
      ].join('\n'),
    )
  })
})
