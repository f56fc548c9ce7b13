import { execFileSync } from 'node:child_process'
import { chmod, mkdir, readFile, symlink } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskRecord, TaskSource } from '../../src/shared/task'
import { startGitServer, type GitServer } from '../support/git-server'
import { writeFiles } from '../support/files'
import { writeZip, type ZipEntrySpec } from '../support/make-zip'
import type { ScriptStep } from '../support/model-server'
import type { HostileCase } from './support/task-case'
import { expectCaseHeld, expectOnlyTaskDirs, listTree, runTask, withHostileCase } from './support/task-case'

/**
 * Repositories whose contents try to make the HOST's git run a command: `.gitattributes` naming filter,
 * diff (textconv) and merge drivers, a committed `.gitconfig`, a `.gitmodules` with command updates, a
 * hooks folder, and (from a ZIP, or written by the agent) a workspace `.git/` whose config sets
 * core.fsmonitor, core.pager, core.hooksPath, aliases and drivers, with executable hooks. Every command
 * would create a marker in the planted home. Each task runs through review (a scripted agent edits one
 * file) and both exports (patch and ZIP); no marker may appear, and the diff and the exports must hold
 * exactly the change and the user's files, byte for byte, whatever the attributes say.
 */

const HOOKS = [
  'pre-commit',
  'post-commit',
  'post-checkout',
  'post-merge',
  'post-index-change',
  'reference-transaction',
  'pre-push',
  'pre-auto-gc',
  'fsmonitor-watchman',
  'post-rewrite',
]

/** A git config whose every command drops a marker into `outside`. */
function evilConfig(outside: string): string {
  const mark = (what: string): string => `touch ${outside}/pwned-${what}`
  return [
    '[core]',
    '\trepositoryformatversion = 0',
    '\tbare = false',
    `\tfsmonitor = ${mark('fsmonitor')}`,
    `\tpager = ${mark('pager')}`,
    `\teditor = ${mark('editor')}`,
    `\tsshCommand = ${mark('ssh')}`,
    '\thooksPath = .githooks',
    `\tattributesFile = ${outside}/.bashrc`,
    '[alias]',
    `\tst = !${mark('alias')}`,
    `\tdiff = !${mark('alias-diff')}`,
    '[filter "evil"]',
    `\tclean = ${mark('clean')}`,
    `\tsmudge = ${mark('smudge')}`,
    `\tprocess = ${mark('process')}`,
    '\trequired = true',
    '[diff "evil"]',
    `\ttextconv = ${mark('textconv')}`,
    `\tcommand = ${mark('diff-command')}`,
    '[merge "evil"]',
    `\tdriver = ${mark('merge')}`,
    '[uploadpack]',
    `\tpackObjectsHook = ${mark('pack-objects')}`,
    '[credential]',
    `\thelper = !${mark('credential')}`,
    '',
  ].join('\n')
}

const hookScript = (outside: string, name: string): string =>
  `#!/bin/sh\ntouch ${outside}/pwned-hook-${name}\n`

/** The hostile repository's tracked files (no `.git`): attributes, committed config, modules, hooks. */
function hostileFiles(outside: string, opts: { conversions?: boolean } = {}): Record<string, string> {
  // Attributes that would change bytes (eol, ident, encoding) only where no git has added the files yet:
  // the git server's own commit would apply them (it is not ours), and so would the clone's checkout.
  const conversions = opts.conversions ?? true
  const files: Record<string, string> = {
    'src/app.js': 'module.exports = 1\n',
    'README.md': '# app\n',
    'version.txt': 'built from $Format:%H$\n',
    ...(conversions ? { 'crlf.txt': 'line one\r\nline two\r\n', 'id.txt': '$Id$\n' } : {}),
    '.gitattributes': [
      '* filter=evil diff=evil merge=evil',
      ...(conversions ? ['*.txt text eol=lf ident', '*.js working-tree-encoding=UTF-16'] : []),
      'README.md export-ignore',
      'version.txt export-subst',
      '',
    ].join('\n'),
    '.gitconfig': evilConfig(outside),
    '.gitmodules': [
      '[submodule "vendor"]',
      '\tpath = vendor',
      `\turl = ext::sh -c touch% ${outside}/pwned-submodule-url`,
      `\tupdate = !touch ${outside}/pwned-submodule-update`,
      '',
    ].join('\n'),
  }
  for (const hook of HOOKS) files[`.githooks/${hook}`] = hookScript(outside, hook)
  return files
}

/** A workspace `.git` directory: the evil config, a HEAD, and executable hooks. */
function dotGit(outside: string): Record<string, string> {
  const files: Record<string, string> = {
    '.git/config': evilConfig(outside).replace('\thooksPath = .githooks\n', ''),
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/info/attributes': '* filter=evil diff=evil\n',
  }
  for (const hook of HOOKS) files[`.git/hooks/${hook}`] = hookScript(outside, hook)
  return files
}

/** Writes `files` under `dir`, making every hook executable. */
async function writeRepo(dir: string, files: Record<string, string>): Promise<void> {
  await writeFiles(dir, files)
  for (const path of Object.keys(files)) if (/hooks\//.test(path)) await chmod(join(dir, path), 0o755)
}

/** The scripted agent: one edit, then finish. */
const EDIT: ScriptStep[] = [
  { toolCalls: [{ name: 'edit_file', args: { path: 'src/app.js', old_string: '= 1', new_string: '= 2' } }] },
  { toolCalls: [{ name: 'finish', args: { summary: 'Exported 2.' } }] },
]

const unzipList = (file: string): string[] =>
  execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort()
const unzipRead = (file: string, name: string): Buffer => execFileSync('unzip', ['-p', file, name])

/** Marker files anywhere under the case root. */
async function markers(c: HostileCase): Promise<string[]> {
  return (await listTree(c.planted.root)).filter((p) => /pwned/.test(p))
}

/**
 * Runs the task through review and both exports, and checks that the diff and the exports are exactly
 * the agent's one edit on top of the user's files (`expected`: the tracked files, path → content).
 */
async function reviewAndExport(
  c: HostileCase,
  source: TaskSource,
  expected: Record<string, string>,
  opts: { changed?: string[] } = {},
): Promise<TaskRecord> {
  const inputs = await listTree(c.input)
  const task = await runTask(c, { source, prompt: 'Export 2 instead of 1' })
  expect(task.status, JSON.stringify(task.error)).toBe('review')

  const diff = await c.engine.diff(task.id)
  const changed = opts.changed ?? ['src/app.js']
  expect(diff.fileDiffs.map((f) => f.newPath ?? f.oldPath).sort()).toEqual([...changed].sort())
  const app = diff.fileDiffs.find((f) => f.newPath === 'src/app.js')!
  expect(app).toMatchObject({ oldContent: 'module.exports = 1\n', newContent: 'module.exports = 2\n' })

  await c.engine.publish({ kind: 'export', id: task.id, format: 'patch' })
  const patch = (await c.engine.store.readArtifact(task.id, 'export.patch')) ?? ''
  expect(patch).toContain('-module.exports = 1\n+module.exports = 2\n')
  expect(patch).not.toMatch(/^diff --git a\/\.git\//m)

  await c.engine.publish({ kind: 'export', id: task.id, format: 'zip' })
  const zip = c.engine.store.artifactPath(task.id, 'export.zip')
  const names = unzipList(zip).filter((n) => !n.endsWith('/'))
  const want = { ...expected, 'src/app.js': 'module.exports = 2\n' }
  expect(names).toEqual(Object.keys(want).sort())
  for (const [name, content] of Object.entries(want)) {
    expect(unzipRead(zip, name).toString('utf8'), `${name} in the ZIP, byte for byte`).toBe(content)
  }

  expect(await markers(c), 'no marker file anywhere').toEqual([])
  await expectOnlyTaskDirs(c, inputs)
  await expectCaseHeld(c, [task.id])
  return task
}

let server: GitServer
beforeAll(async () => {
  server = await startGitServer()
})
afterAll(async () => {
  await server?.close()
})

describe('repository contents that would run commands in host git', () => {
  it('a folder with .gitattributes drivers, a committed .gitconfig, .gitmodules, hooks and its own .git', async () => {
    await withHostileCase({ script: EDIT }, async (c) => {
      const repo = join(c.input, 'repo')
      const tracked = hostileFiles(c.planted.outside)
      await writeRepo(repo, { ...tracked, ...dotGit(c.planted.outside) })
      await reviewAndExport(c, { kind: 'folder', path: repo }, tracked)
      // The user's folder is untouched.
      expect(await readFile(join(repo, 'src/app.js'), 'utf8')).toBe('module.exports = 1\n')
    })
  })

  it('a ZIP carrying .git/config (fsmonitor, pager, aliases, hooksPath, drivers) and executable .git/hooks', async () => {
    await withHostileCase({ script: EDIT }, async (c) => {
      const tracked = hostileFiles(c.planted.outside)
      const entries: ZipEntrySpec[] = Object.entries({ ...tracked, ...dotGit(c.planted.outside) }).map(
        ([name, data]) => ({
          name: `project-main/${name}`,
          data,
          mode: /hooks\//.test(name) ? 0o100755 : 0o100644,
        }),
      )
      const file = await writeZip(join(c.input, 'project.zip'), entries)
      await reviewAndExport(c, { kind: 'zip', path: file }, tracked)
    })
  })

  it('a repository on a git server with .gitattributes drivers, .gitconfig, .gitmodules and a hooks folder', async () => {
    await withHostileCase({ script: EDIT, settings: { allowLocalHttpGit: true } }, async (c) => {
      const tracked = hostileFiles(c.planted.outside, { conversions: false })
      const url = await server.createRepo(`hostile-${Date.now()}`, tracked)
      await reviewAndExport(c, { kind: 'git', url }, tracked)
    })
  })

  it('an agent that writes .git/config, hooks and .gitattributes into the workspace during its turn', async () => {
    let outside = '/nonexistent' // the planted home, known once the case is open
    const plant = (): ScriptStep => ({
      toolCalls: [
        {
          name: 'shell',
          args: {
            command: [
              'mkdir -p .git/hooks',
              `cat > .git/config <<'EOF'\n${evilConfig(outside)}EOF`,
              'echo "ref: refs/heads/main" > .git/HEAD',
              `printf '%s\\n' '* filter=evil diff=evil merge=evil' > .gitattributes`,
              ...HOOKS.map(
                (h) => `printf '#!/bin/sh\\ntouch ${outside}/pwned-hook-${h}\\n' > .git/hooks/${h}`,
              ),
              'chmod +x .git/hooks/*',
              'ls .git/hooks | wc -l',
            ].join('\n'),
          },
        },
      ],
    })
    await withHostileCase(
      { script: (_req, i) => (i === 0 ? EDIT[0]! : i === 1 ? plant() : EDIT[1]!) },
      async (c) => {
        outside = c.planted.outside
        const repo = join(c.input, 'plain')
        const tracked = { 'src/app.js': 'module.exports = 1\n', 'README.md': '# plain\n' }
        await writeRepo(repo, tracked)
        const task = await reviewAndExport(
          c,
          { kind: 'folder', path: repo },
          { ...tracked, '.gitattributes': '* filter=evil diff=evil merge=evil\n' },
          { changed: ['src/app.js', '.gitattributes'] },
        )
        const planted = c.model.requests[2]!.body.messages.filter((m) => m.role === 'tool').at(-1)
        expect(String(planted?.content)).toMatch(new RegExp(`\\b${HOOKS.length}\\b`)) // the hooks were written
        expect(task.diff?.files).toBe(2)
      },
    )
  })
})

describe('repository contents that point the host at the user’s files', () => {
  it('setup.sh as a symlink to the planted SSH key: never read, never run, never logged', async () => {
    await withHostileCase({ script: EDIT }, async (c) => {
      const repo = join(c.input, 'repo')
      const tracked = { 'src/app.js': 'module.exports = 1\n' }
      await writeRepo(repo, tracked)
      await symlink(c.planted.hostSecretPath, join(repo, 'setup.sh'))
      const inputs = await listTree(c.input)
      const task = await runTask(c, { source: { kind: 'folder', path: repo }, prompt: 'Export 2' })
      expect(task.status, JSON.stringify(task.error)).toBe('review')
      const setupLog = (await c.engine.store.readArtifact(task.id, 'setup.log')) ?? ''
      expect(setupLog).not.toContain('BEGIN OPENSSH PRIVATE KEY')
      expect(setupLog).toMatch(/setup\.sh/) // it says why setup.sh was not run
      expect(await markers(c)).toEqual([])
      await expectOnlyTaskDirs(c, inputs)
      await expectCaseHeld(c, [task.id])
    })
  })

  it('AGENTS.md (and a nested one through a linked folder) as symlinks to the planted home: kept out of the prompt', async () => {
    await withHostileCase({ script: EDIT }, async (c) => {
      const repo = join(c.input, 'repo')
      await writeRepo(repo, { 'src/app.js': 'module.exports = 1\n' })
      await symlink(c.planted.hostSecretPath, join(repo, 'AGENTS.md'))
      await symlink(join(c.planted.outside, '.ssh'), join(repo, 'docs'))
      await mkdir(join(repo, 'lib'))
      await symlink(relative(join(repo, 'lib'), c.planted.hostSecretPath), join(repo, 'lib', 'AGENTS.md'))
      const inputs = await listTree(c.input)
      const task = await runTask(c, { source: { kind: 'folder', path: repo }, prompt: 'Export 2' })
      expect(task.status, JSON.stringify(task.error)).toBe('review')
      const prompt = (await c.engine.store.readArtifact(task.id, 'prompt.md')) ?? ''
      expect(prompt).not.toContain(c.planted.hostSecret)
      expect(await markers(c)).toEqual([])
      await expectOnlyTaskDirs(c, inputs)
      await expectCaseHeld(c, [task.id]) // also checks every request the model received
    })
  })

  it('a symlink to the planted home in the repository: stored and exported as a link, never followed', async () => {
    await withHostileCase({ script: EDIT }, async (c) => {
      const repo = join(c.input, 'repo')
      const tracked = { 'src/app.js': 'module.exports = 1\n' }
      await writeRepo(repo, tracked)
      await symlink(c.planted.outside, join(repo, 'home'))
      await symlink(c.planted.hostSecretPath, join(repo, 'key'))
      const task = await reviewAndExport(
        c,
        { kind: 'folder', path: repo },
        {
          ...tracked,
          home: c.planted.outside,
          key: c.planted.hostSecretPath,
        },
      )
      const zip = c.engine.store.artifactPath(task.id, 'export.zip')
      const modes = execFileSync('unzip', ['-Z', '-l', zip], { encoding: 'utf8' })
      expect(modes).toMatch(/^l.* key$/m) // a link, whose content is its target's name
    })
  })
})
