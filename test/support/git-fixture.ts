import { cp, lstat, mkdir, readFile, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { createBaseline } from '../../src/main/git/baseline'
import { runGit } from '../../src/main/git/git'
import { tempDir } from './tmp'

/**
 * A task as the engine leaves it after a turn: the original files in `original` (the user's folder), a
 * copy of them in `ws` with its baseline committed in `gitDir`; the test then changes `ws`.
 */
export interface TaskFixture {
  root: string
  original: string
  ws: string
  gitDir: string
  baseline: string
  /** git in the task's git directory (work tree: the workspace). */
  git(args: string[]): Promise<string>
}

export async function taskFixture(setup: (dir: string) => Promise<void>): Promise<TaskFixture> {
  const root = await tempDir('codex-publish-')
  const original = join(root, 'original')
  const ws = join(root, 'workspace')
  const gitDir = join(root, 'git')
  await mkdir(original)
  await setup(original)
  await cp(original, ws, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
  const baseline = await createBaseline({ workspace: ws, gitDir })
  const git = async (args: string[]): Promise<string> =>
    (await runGit(args, { cwd: ws, gitDir, workTree: ws })).stdout
  return { root, original, ws, gitDir, baseline, git }
}

export type Snapshot = Record<string, string>

/** Every entry under `dir` as text: kind, permission bits and content (or link target). */
export async function snapshot(dir: string, skip: string[] = []): Promise<Snapshot> {
  const out: Snapshot = {}
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name
      if (skip.includes(path)) continue
      const info = await lstat(join(dir, path))
      const mode = (info.mode & 0o777).toString(8)
      if (info.isSymbolicLink()) out[path] = `link -> ${await readlink(join(dir, path))}`
      else if (info.isDirectory()) {
        out[path] = `dir ${mode}`
        await visit(path)
      } else out[path] = `file ${mode} ${(await readFile(join(dir, path))).toString('base64')}`
    }
  }
  await visit('')
  return out
}
