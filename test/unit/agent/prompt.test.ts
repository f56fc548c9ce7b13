import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  buildSystemPrompt,
  discoverAgentsMd,
  initialMessages,
  repoTree,
} from '../../../src/main/agent/prompt'
import { tempDir } from '../../support/tmp'

async function put(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(join(root, path), content)
  }
}

describe('AGENTS.md discovery', () => {
  it('finds the root and nested files on the focus paths and elsewhere, root first, nearest last', async () => {
    const dir = await tempDir()
    await put(dir, {
      'AGENTS.md': 'root rules',
      'src/AGENTS.md': 'src rules',
      'src/api/AGENTS.md': 'api rules',
      'src/api/handler.ts': 'export {}',
      'docs/AGENTS.md': 'docs rules',
      'node_modules/pkg/AGENTS.md': 'never',
      '.git/AGENTS.md': 'never',
    })
    const docs = await discoverAgentsMd(dir, ['src/api/handler.ts'])
    expect(docs).toEqual([
      { path: 'AGENTS.md', content: 'root rules' },
      { path: 'docs/AGENTS.md', content: 'docs rules' },
      { path: 'src/AGENTS.md', content: 'src rules' },
      { path: 'src/api/AGENTS.md', content: 'api rules' },
    ])
  })

  it('never follows symlinks, and ignores focus paths that leave the workspace', async () => {
    const dir = await tempDir()
    const outside = await tempDir('codex-outside-')
    await put(outside, { 'AGENTS.md': 'outside secret', 'sub/AGENTS.md': 'outside too' })
    await put(dir, { 'pkg/index.ts': '' })
    await symlink(join(outside, 'AGENTS.md'), join(dir, 'AGENTS.md'))
    await symlink(outside, join(dir, 'linked'))
    await symlink(join(outside, 'AGENTS.md'), join(dir, 'pkg', 'AGENTS.md'))
    const docs = await discoverAgentsMd(dir, ['linked/sub/x.ts', '../outside/x', 'pkg/index.ts'])
    expect(docs).toEqual([])
  })

  it('accepts /workspace-absolute focus paths and directories', async () => {
    const dir = await tempDir()
    await put(dir, { 'a/b/AGENTS.md': 'b rules', 'a/b/c.ts': '' })
    expect(await discoverAgentsMd(dir, ['/workspace/a/b'])).toEqual([
      { path: 'a/b/AGENTS.md', content: 'b rules' },
    ])
  })
})

describe('repoTree', () => {
  it('is sorted, indented, skips .git and node_modules, marks symlinks', async () => {
    const dir = await tempDir()
    await put(dir, { 'b.txt': '', 'a/z.ts': '', 'a/y/x.ts': '', '.git/HEAD': '', 'node_modules/m/i.js': '' })
    await symlink('b.txt', join(dir, 'c'))
    expect(await repoTree(dir)).toBe(['a/', '  y/', '    x.ts', '  z.ts', 'b.txt', 'c@'].join('\n'))
  })

  it('stops at maxEntries, breadth first', async () => {
    const dir = await tempDir()
    await put(dir, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i % 3}/f${i}.txt`, ''])))
    const tree = await repoTree(dir, { maxEntries: 10 })
    const lines = tree.split('\n')
    expect(lines).toHaveLength(11)
    expect(lines.filter((l) => !l.startsWith(' ')).slice(0, 3)).toEqual(['d0/', 'd1/', 'd2/'])
    expect(lines.at(-1)).toBe('… (listing stopped at 10 entries)')
  })
})

describe('system prompt', () => {
  it('contains the AGENTS.md files in order with the precedence rule, the focus files and the tree', async () => {
    const prompt = buildSystemPrompt({
      tree: 'src/\n  main.ts',
      focusFiles: ['src/main.ts'],
      agentsDocs: [
        { path: 'AGENTS.md', content: 'Use tabs.' },
        { path: 'src/AGENTS.md', content: 'Use spaces here.' },
      ],
    })
    expect(prompt).toContain('--- AGENTS.md ---\nUse tabs.\n\n--- src/AGENTS.md ---\nUse spaces here.')
    expect(prompt).toMatch(/deeper \(more specific\) file takes precedence for files under it/)
    expect(prompt).toContain('focus on these files:\n- src/main.ts')
    expect(prompt).toContain('Repository layout (/workspace):\nsrc/\n  main.ts')
    expect(buildSystemPrompt({ tree: 'x', focusFiles: [], agentsDocs: [] })).not.toMatch(
      /AGENTS\.md|focus on/,
    )
    expect(initialMessages(prompt, '  add a README \n')).toEqual([
      { role: 'system', content: prompt },
      { role: 'user', content: 'Task:\nadd a README' },
    ])
  })
})
