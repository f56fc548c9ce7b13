import { chmod, readdir, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importSource } from '../../src/main/engine/import-source'
import { newTaskRecord } from '../../src/main/engine/new-task'
import { publish } from '../../src/main/engine/publish'
import { TaskStore } from '../../src/main/engine/task-store'
import { recordBaseline } from '../../src/main/git/baseline'
import { computeDiff } from '../../src/main/git/diff'
import { readFsCaps } from '../../src/main/git/fs-caps'
import { runGit } from '../../src/main/git/git'
import { defaultSettings, settingsSchema, type Settings } from '../../src/shared/settings'
import { submitTaskInputSchema } from '../../src/shared/task'
import { appErrorOf } from '../support/files'
import { startGitServer, type GitServer } from '../support/git-server'
import { startGitHubDouble, type GitHubDouble } from '../support/github-double'
import { tempDir } from '../support/tmp'
import { mountVfat, type VfatMount } from '../support/vfat'

const TOKEN = 'ghp_fatPublishToken_0a1b2c3d4e5f6789'

/**
 * A task whose data directory is on a FAT filesystem (vfat where the kernel has it, else exFAT through
 * FUSE, see support/vfat.ts: no executable bits, no symbolic links, names case-insensitive, as on a
 * Windows or default macOS disk) publishes a pull request that differs from
 * the commit it started from by the agent's edit only, and its review shows that edit only.
 *
 * The engine's own steps run here for real (import, baseline, diff, publish, over the real git server and
 * the GitHub double); the agent's write is made on the workspace directly, as the git tests do, since no
 * container runs here.
 */
describe('publishing from a data directory on FAT', () => {
  let fat: VfatMount
  beforeAll(async () => {
    fat = await mountVfat(96)
  }, 60_000)
  afterAll(async () => {
    await fat?.unmount()
  })

  it('keeps the modes, links and case-colliding files of the source commit', async () => {
    const w = await world()
    try {
      const t = await importTask(w, join(fat.dir, 'data-1'))
      // The agent's one edit.
      await writeFile(join(t.paths.workspace, 'src/app.js'), 'export const v = 2\n')

      // What git's init found on this disk, kept in the task's git directory: git ignores what it cannot hold.
      expect(await readFsCaps(t.paths.gitDir)).toEqual({
        filemode: false,
        symlinks: false,
        ignorecase: true,
        precomposeunicode: false,
      })
      const diff = await t.review()
      expect(diff.fileDiffs.map((f) => [f.status, f.oldPath, f.newPath, f.oldMode, f.newMode])).toEqual([
        ['modified', 'src/app.js', 'src/app.js', '100644', '100644'],
      ])

      const tip = await t.publish()
      expect(await w.git(['rev-parse', `${tip}^`])).toBe(w.start)
      const before = await lsTree(w.bare, w.start)
      const after = await lsTree(w.bare, tip)
      expect(after).toEqual({
        ...before,
        'src/app.js': `100644 ${await w.git(['rev-parse', `${tip}:src/app.js`])}`,
      })
      expect(after.gradlew).toMatch(/^100755 /)
      expect(after.link).toMatch(/^120000 /)
      expect(await w.git(['cat-file', 'blob', `${tip}:link`])).toBe('src/app.js')
      expect(await w.git(['cat-file', 'blob', `${tip}:README`])).toBe('upper')
      expect(await w.git(['cat-file', 'blob', `${tip}:readme`])).toBe('lower')
      expect(await w.git(['cat-file', 'blob', `${tip}:src/app.js`])).toBe('export const v = 2')
      expect(w.github.pulls).toHaveLength(1)
    } finally {
      await w.close()
    }
  }, 120_000)

  it('keeps an edited gradlew executable, and changes only the colliding name the disk kept', async () => {
    const w = await world()
    try {
      const t = await importTask(w, join(fat.dir, 'data-2'))
      await writeFile(join(t.paths.workspace, 'gradlew'), '#!/bin/sh\nexec java -jar gradle-2.jar "$@"\n')
      // The one of README / readme this disk kept (the later one checked out, under its own name).
      const kept = (await readdir(t.paths.workspace)).filter((n) => n.toLowerCase() === 'readme')
      expect(kept).toHaveLength(1)
      const name = kept[0] ?? ''
      await writeFile(join(t.paths.workspace, name), 'edited\n')
      expect((await t.review()).fileDiffs.map((f) => [f.newPath, f.oldMode, f.newMode])).toEqual(
        [
          [name, '100644', '100644'],
          ['gradlew', '100644', '100644'],
        ].sort(),
      )

      const tip = await t.publish()
      const before = await lsTree(w.bare, w.start)
      const after = await lsTree(w.bare, tip)
      expect(after).toEqual({
        ...before,
        gradlew: `100755 ${await w.git(['rev-parse', `${tip}:gradlew`])}`,
        [name]: `100644 ${await w.git(['rev-parse', `${tip}:${name}`])}`,
      })
      expect(await w.git(['cat-file', 'blob', `${tip}:gradlew`])).toContain('gradle-2.jar')
      expect(await w.git(['cat-file', 'blob', `${tip}:${name}`])).toBe('edited')
    } finally {
      await w.close()
    }
  }, 120_000)
})

describe('publishing from a data directory that holds modes and links', () => {
  it('carries the agent’s chmod and retargeted link, and refuses an edit of a file the checkout converted', async () => {
    const w = await world()
    try {
      const t = await importTask(w, join(await tempDir('codex-publish-modes-'), 'data'))
      await chmod(join(t.paths.workspace, 'src/app.js'), 0o755)
      await chmod(join(t.paths.workspace, 'gradlew'), 0o644)
      await unlink(join(t.paths.workspace, 'link'))
      await symlink('gradlew', join(t.paths.workspace, 'link'))
      // Checked out with CRLF (eol=crlf): the agent's version is not a change of the repository's one.
      await writeFile(join(t.paths.workspace, 'build.bat'), '@echo off\r\ngradlew test\r\n')
      const diff = await t.review()
      expect(diff.fileDiffs.map((f) => [f.newPath, f.oldMode, f.newMode])).toEqual([
        ['build.bat', '100644', '100644'],
        ['gradlew', '100755', '100644'],
        ['link', '120000', '120000'],
        ['src/app.js', '100644', '100755'],
      ])
      const refused = await appErrorOf(t.publish())
      expect(refused.kind).toBe('conflict')
      expect(refused.details?.paths).toEqual(['build.bat'])
      expect(w.github.pulls).toHaveLength(0)

      await t.store.update(t.id, { excludedPaths: ['build.bat'] })
      const tip = await t.publish()
      const before = await lsTree(w.bare, w.start)
      const after = await lsTree(w.bare, tip)
      expect(after).toEqual({
        ...before,
        gradlew: before.gradlew?.replace('100755', '100644'),
        link: `120000 ${await w.git(['rev-parse', `${tip}:link`])}`,
        'src/app.js': before['src/app.js']?.replace('100644', '100755'),
      })
      expect(await w.git(['cat-file', 'blob', `${tip}:link`])).toBe('gradlew')
    } finally {
      await w.close()
    }
  }, 120_000)
})

interface World {
  server: GitServer
  github: GitHubDouble
  bare: { gitDir: string }
  cloneUrl: string
  /** The commit on main with the special entries: what the task starts from. */
  start: string
  settings: Settings
  git(args: string[]): Promise<string>
  close(): Promise<void>
}

async function world(): Promise<World> {
  const server = await startGitServer({ token: TOKEN })
  const github = await startGitHubDouble({ token: TOKEN, gitServer: server })
  const repo = await github.addRepo({ name: 'app', files: { 'src/app.js': 'export const v = 1\n' } })
  const bare = { gitDir: join(server.root, 'octocat', 'app.git') }
  const start = await addSpecialEntries(bare.gitDir)
  const settings = settingsSchema.parse({
    ...defaultSettings(),
    githubApiUrl: github.baseUrl,
    allowLocalHttpGit: true,
  })
  return {
    server,
    github,
    bare,
    cloneUrl: repo.cloneUrl,
    start,
    settings,
    git: async (args) => (await runGit(args, bare)).stdout.trim(),
    close: async () => {
      await github.close()
      await server.close()
    },
  }
}

/** A task as the engine leaves it before the agent runs: imported into `dataDir`, its baseline recorded. */
async function importTask(w: World, dataDir: string) {
  const store = await TaskStore.open(dataDir)
  const source = { kind: 'git' as const, url: w.cloneUrl }
  const task = newTaskRecord(submitTaskInputSchema.parse({ source, prompt: 'Bump v' }), w.settings)
  await store.create(task)
  const paths = store.paths(task.id)
  const imported = await importSource({
    source,
    dest: paths.workspace,
    upstreamDir: paths.upstream,
    settings: w.settings,
    githubToken: TOKEN,
    signal: new AbortController().signal,
    onProgress: () => undefined,
  })
  expect(imported.sourceCommit).toBe(w.start)
  const baseline = await recordBaseline({
    workspace: paths.workspace,
    gitDir: paths.gitDir,
    linksAsFiles: imported.linksAsFiles,
  })
  await store.update(task.id, {
    baselineCommit: baseline.commit,
    sourceBranch: imported.sourceBranch,
    sourceCommit: imported.sourceCommit,
  })
  return {
    id: task.id,
    store,
    paths,
    /** The review's diff (the engine's computeDiff); the task is in review after it. */
    review: async () => {
      const diff = await computeDiff({
        workspace: paths.workspace,
        gitDir: paths.gitDir,
        baseline: baseline.commit,
      })
      await store.update(task.id, { status: 'review' })
      return diff
    },
    /** Opens the pull request; the pushed commit. */
    publish: async (): Promise<string> => {
      const outcome = await publish(
        { kind: 'pull_request', id: task.id, title: 'Bump v', body: '', draft: false, fork: false },
        { store, settings: w.settings, githubToken: TOKEN },
      )
      expect(outcome).toMatchObject({ kind: 'pull_request', repo: 'octocat/app' })
      const branch = outcome.kind === 'pull_request' ? outcome.branch : ''
      return (await w.server.branchTip('octocat/app', branch)) ?? ''
    },
  }
}

/**
 * A commit on main (in the server's bare repository, made with plumbing on the host's own filesystem)
 * adding an executable `gradlew`, a symbolic link `link` -> src/app.js, `README` beside `readme`, and a
 * `build.bat` that .gitattributes checks out with CRLF line endings.
 */
async function addSpecialEntries(gitDir: string): Promise<string> {
  const git = { gitDir }
  const blob = async (content: string): Promise<string> =>
    (await runGit(['hash-object', '-w', '--stdin'], { ...git, input: content })).stdout.trim()
  const parent = (await runGit(['rev-parse', 'refs/heads/main'], git)).stdout.trim()
  const entries = [
    `100644 blob ${await blob('*.bat text eol=crlf\n')}\t.gitattributes`,
    `100644 blob ${await blob('@echo off\ngradlew build\n')}\tbuild.bat`,
    `100755 blob ${await blob('#!/bin/sh\nexec java -jar gradle.jar "$@"\n')}\tgradlew`,
    `120000 blob ${await blob('src/app.js')}\tlink`,
    `100644 blob ${await blob('upper\n')}\tREADME`,
    `100644 blob ${await blob('lower\n')}\treadme`,
  ]
  const src = (await runGit(['rev-parse', `${parent}:src`], git)).stdout.trim()
  entries.push(`040000 tree ${src}\tsrc`)
  const tree = (await runGit(['mktree'], { ...git, input: entries.join('\n') + '\n' })).stdout.trim()
  const commit = (
    await runGit(['commit-tree', tree, '-p', parent, '-m', 'special entries'], git)
  ).stdout.trim()
  await runGit(['update-ref', 'refs/heads/main', commit, parent], git)
  return commit
}

async function lsTree(git: { gitDir: string }, rev: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const { stdout } = await runGit(['ls-tree', '-r', '-z', rev], git)
  for (const rec of stdout.split('\0').filter(Boolean)) {
    const [meta = '', path = ''] = rec.split('\t')
    const [mode = '', , sha = ''] = meta.split(' ')
    out[path] = `${mode} ${sha}`
  }
  return out
}
