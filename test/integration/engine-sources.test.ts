import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startGitServer } from '../support/git-server'
import { openTestEngine, TEST_API_KEY, waitForStatus } from '../support/engine'
import { startModelServer, type ChatMessage } from '../support/model-server'
import { grepTree } from '../support/grep-tree'
import { writeFiles } from '../support/files'
import { tempDir } from '../support/tmp'

const toolOutputs = (messages: ChatMessage[]): string[] =>
  messages.filter((m) => m.role === 'tool').map((m) => String(m.content))

describe('a task from a folder', () => {
  it('runs the scripted agent in the sandbox and leaves the expected diff, with AGENTS.md in the prompt', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, {
      'AGENTS.md': 'Root rule: keep answers short.\n',
      'src/AGENTS.md': 'Nested rule: src code uses single quotes.\n',
      'src/app.js': "console.log('hi')\n",
      'README.md': '# demo\n',
      '.gitignore': 'node_modules/\n',
      'node_modules/dep/index.js': 'ignored\n',
    })
    const model = await startModelServer([
      {
        toolCalls: [
          {
            name: 'shell',
            args: {
              command:
                'echo "uid: $(id -u)"; grep -E \'^(CapEff|NoNewPrivs)\' /proc/self/status; ' +
                // The key is split so that the command itself does not carry it into the logs.
                `K1='${TEST_API_KEY.slice(0, 8)}'; K2='${TEST_API_KEY.slice(8)}'; ` +
                'echo "key-in-env: $(env | grep -c "$K1$K2")"; ' +
                'echo "key-in-files: $(grep -rl "$K1$K2" /workspace /tmp /home 2>/dev/null | wc -l)"; ' +
                'ls node_modules 2>&1 | head -1',
            },
          },
        ],
      },
      {
        toolCalls: [
          { name: 'edit_file', args: { path: 'src/app.js', old_string: "'hi'", new_string: "'hello'" } },
        ],
      },
      { toolCalls: [{ name: 'write_file', args: { path: 'docs/NOTES.md', content: 'Notes\n' } }] },
      { toolCalls: [{ name: 'shell', args: { command: 'rm README.md' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Changed the greeting.' } }] },
      // The follow-up turn:
      {
        toolCalls: [
          {
            name: 'edit_file',
            args: { path: 'src/app.js', old_string: "'hello'", new_string: "'hello, world'" },
          },
        ],
      },
      { text: 'Made it a whole world.' },
    ])
    const dataDir = join(root, 'data')
    const engine = await openTestEngine({ dataDir, baseURL: model.baseURL })
    try {
      const submitted = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Say hello instead of hi',
        focusFiles: ['src/app.js'],
      })
      const task = await waitForStatus(engine, submitted.id, ['review'])

      // The prompt: both AGENTS.md, root first, and the focus file.
      const system = String(model.requests[0]!.body.messages[0]!.content)
      expect(system.indexOf('Root rule')).toBeGreaterThan(-1)
      expect(system.indexOf('Nested rule')).toBeGreaterThan(system.indexOf('Root rule'))
      expect(system).toContain('src/app.js')
      expect(String(model.requests[0]!.body.messages[1]!.content)).toContain('Say hello instead of hi')
      expect(model.requests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`)

      // What the container looked like from inside.
      const probe = toolOutputs(model.requests[1]!.body.messages)[0]!
      expect(probe).toMatch(/uid: [1-9]\d*/)
      expect(probe).toContain('CapEff:\t0000000000000000')
      expect(probe).toContain('NoNewPrivs:\t1')
      expect(probe).toContain('key-in-env: 0')
      expect(probe).toContain('key-in-files: 0')
      expect(probe).toMatch(/No such file or directory/) // .gitignore'd node_modules was not copied

      // The diff.
      expect(task.diff).toEqual({ files: 3, additions: 2, deletions: 2 })
      const diff = await engine.diff(task.id)
      const byPath = Object.fromEntries(diff.fileDiffs.map((f) => [f.newPath ?? f.oldPath, f]))
      expect(byPath['src/app.js']).toMatchObject({
        status: 'modified',
        additions: 1,
        deletions: 1,
        newContent: "console.log('hello')\n",
      })
      expect(byPath['docs/NOTES.md']).toMatchObject({ status: 'added', newContent: 'Notes\n' })
      expect(byPath['README.md']).toMatchObject({ status: 'deleted', oldContent: '# demo\n' })
      const patch = await engine.store.readArtifact(task.id, 'diff.patch')
      expect(patch).toContain("+console.log('hello')")
      expect(await engine.store.readArtifact(task.id, 'summary.md')).toContain('Changed the greeting.')
      expect(await engine.store.readArtifact(task.id, 'agent.log')).toContain('edit_file')
      expect(task.usage.steps).toBe(5)

      // The original is untouched.
      expect(await readFile(join(repo, 'src/app.js'), 'utf8')).toBe("console.log('hi')\n")
      expect(await readFile(join(repo, 'README.md'), 'utf8')).toBe('# demo\n')

      // A follow-up continues the conversation; the diff is still against the original.
      await engine.followUp(task.id, 'Greet the whole world')
      const after = await waitForStatus(engine, task.id, ['review'])
      const followUpRequest = model.requests[5]!.body.messages
      expect(followUpRequest.at(-1)).toMatchObject({ role: 'user', content: 'Greet the whole world' })
      expect(followUpRequest.length).toBeGreaterThan(10)
      const again = await engine.diff(task.id)
      const app = again.fileDiffs.find((f) => f.newPath === 'src/app.js')!
      expect(app.oldContent).toBe("console.log('hi')\n")
      expect(app.newContent).toBe("console.log('hello, world')\n")
      expect(after.turns).toBe(2)
      expect(after.summary).toBe('Made it a whole world.')

      expect(await grepTree(dataDir, TEST_API_KEY)).toEqual([])
    } finally {
      await engine.close()
      await model.close()
    }
  })
})

describe('a task from a ZIP', () => {
  it('extracts the archive (stripping its top folder) and diffs the agent’s change', async () => {
    const root = await tempDir()
    await writeFiles(join(root, 'project-main'), { 'lib/math.py': 'def add(a, b):\n    return a - b\n' })
    const zipFile = join(root, 'project.zip')
    execFileSync('zip', ['-qr', zipFile, 'project-main'], { cwd: root })
    const model = await startModelServer([
      {
        toolCalls: [
          { name: 'edit_file', args: { path: 'lib/math.py', old_string: 'a - b', new_string: 'a + b' } },
        ],
      },
      { toolCalls: [{ name: 'finish', args: { summary: 'Fixed add.' } }] },
    ])
    const engine = await openTestEngine({ dataDir: join(root, 'data'), baseURL: model.baseURL })
    try {
      const { id } = await engine.submit({ source: { kind: 'zip', path: zipFile }, prompt: 'Fix add' })
      const task = await waitForStatus(engine, id, ['review'])
      expect(task.diff).toEqual({ files: 1, additions: 1, deletions: 1 })
      const diff = await engine.diff(id)
      expect(diff.fileDiffs[0]).toMatchObject({ newPath: 'lib/math.py', status: 'modified' })
      expect(diff.patch).toContain('+    return a + b')
    } finally {
      await engine.close()
      await model.close()
    }
  })
})

describe('a task from a Git URL', () => {
  it('clones with the token in a header only, runs the agent, and keeps the token out of everything', async () => {
    const token = 'ghp_testtoken_9d8c7b6a5f4e3d2c1b0a'
    const server = await startGitServer({ token })
    const url = await server.createRepo(
      'service',
      { 'index.js': 'module.exports = 1\n' },
      { branch: 'develop' },
    )
    const root = await tempDir()
    const model = await startModelServer([
      { toolCalls: [{ name: 'write_file', args: { path: 'index.js', content: 'module.exports = 2\n' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Bumped.' } }] },
    ])
    const dataDir = join(root, 'data')
    const engine = await openTestEngine({ dataDir, baseURL: model.baseURL, githubToken: token })
    try {
      const { id } = await engine.submit({
        source: { kind: 'git', url, branch: 'develop' },
        prompt: 'Export 2',
      })
      const task = await waitForStatus(engine, id, ['review'])
      expect(task.sourceBranch).toBe('develop')
      expect(task.diff).toEqual({ files: 1, additions: 1, deletions: 1 })
      expect(server.requests.some((r) => r.authorized)).toBe(true)
      expect(await grepTree(dataDir, token)).toEqual([])
      expect(await grepTree(dataDir, Buffer.from(`x-access-token:${token}`).toString('base64'))).toEqual([])
    } finally {
      await engine.close()
      await model.close()
      await server.close()
    }
  })
})
