import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { zipDir } from '../zip'
import { tinyFiles, type MonorepoStats } from './monorepo'

const ZIP_VERSION = 1
/** Tiny files added to the tree's 30,000 in the archive: ≥ 50,000 entries in all. */
export const TINY_FILES = 25_000
const GIT_AS = ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'gc.auto=0']

/** Runs a shell command in `cwd`; throws with its stderr when it fails. */
export function sh(cmd: string, cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const res = spawnSync('sh', ['-c', cmd], { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 })
  if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr}`)
  return res.stdout
}

/** Runs git with a fixed identity and no automatic gc; returns stdout. */
export function git(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const res = spawnSync('git', [...GIT_AS, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 })
  if (res.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${res.stderr}`)
  return res.stdout
}

/**
 * The archive of the tree plus `TINY_FILES` tiny files (made once, reused while its marker is there);
 * returns its path and entry count.
 */
export function manyEntriesZip(workDir: string, tree: MonorepoStats): { archive: string; entries: number } {
  const dir = join(workDir, 'monorepo')
  const archive = join(dir, 'many.zip')
  const marker = join(dir, `many.zip.v${ZIP_VERSION}.json`)
  if (existsSync(marker) && existsSync(archive)) {
    return JSON.parse(readFileSync(marker, 'utf8')) as { archive: string; entries: number }
  }
  rmSync(archive, { force: true })
  const tiny = join(dir, 'tiny')
  rmSync(tiny, { recursive: true, force: true })
  tinyFiles(tiny, TINY_FILES)
  zipDir(tree.dir, archive, ['-n', '.png'])
  zipDir(tiny, archive)
  rmSync(tiny, { recursive: true, force: true })
  const entries = Number(sh(`zipinfo -1 "${archive}" | wc -l`, dir).trim())
  const made = { archive, entries }
  writeFileSync(marker, JSON.stringify(made))
  return made
}

/** Every path under `dir` with the given extension, sorted (relative, `./` dropped). */
export function listFiles(dir: string, ext: string): string[] {
  return sh(`find . -path ./.git -prune -o -type f -name '*.${ext}' -print`, dir)
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(2))
    .sort()
}

/** A turn-like change of `edits + 2 × extra` files: edits, then `extra` deletions and `extra` new files. */
export function turnChange(dir: string, files: string[], edits: number, extra: number): void {
  files.slice(0, edits).forEach((rel, i) => {
    const lines = readFileSync(join(dir, rel), 'utf8').split('\n')
    lines.splice(lines.length >> 1, 1, `// turn edit ${i}`, `export const edited${i} = ${i}`)
    writeFileSync(join(dir, rel), lines.join('\n'))
  })
  files.slice(edits, edits + extra).forEach((rel) => rmSync(join(dir, rel)))
  for (let i = 0; i < extra; i++) {
    const path = join(dir, 'packages', `pkg-${i % 60}`, 'src', `turn-added-${i}.ts`)
    writeFileSync(path, `export const added${i} = ${i}\n`.repeat(30))
  }
}

/**
 * A copy of the tree that is a git repository: everything committed (`.gitignore` keeps node_modules and
 * dist out), then 100 uncommitted changes (80 edits, 10 deletions, 10 new files).
 */
export function gitFolder(tree: MonorepoStats, dest: string): void {
  rmSync(dest, { recursive: true, force: true })
  sh(`cp -r "${tree.dir}" "${dest}"`, dirname(dest))
  git(['init', '-q', '--initial-branch=main'], dest)
  git(['add', '-A'], dest)
  git(['commit', '-q', '-m', 'monorepo'], dest)
  turnChange(dest, listFiles(dest, 'ts'), 80, 10)
}

/**
 * Imports a git repository from its objects: HEAD checked out into `dest` through a private index
 * (`read-tree` + `checkout-index`, what `git worktree add` does), then the uncommitted changes
 * `git status` lists copied over (and deletions applied). Measurement only: not the product's import.
 */
export function importFromGitObjects(source: string, dest: string, indexFile: string): void {
  mkdirSync(dest, { recursive: true })
  rmSync(indexFile, { force: true })
  const env = { ...process.env, GIT_INDEX_FILE: indexFile }
  const repo = ['--git-dir', join(source, '.git'), '--work-tree', dest]
  git([...repo, 'read-tree', 'HEAD'], dest, env)
  git([...repo, '-c', 'checkout.workers=0', 'checkout-index', '-a', '-f'], dest, env)
  const status = git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'], source)
  for (const record of status.split('\0').filter(Boolean)) {
    const code = record.slice(0, 2)
    const rel = record.slice(3)
    if (code.includes('D')) {
      rmSync(join(dest, rel), { force: true })
      continue
    }
    mkdirSync(dirname(join(dest, rel)), { recursive: true })
    copyFileSync(join(source, rel), join(dest, rel))
  }
}

/**
 * Seconds taken by a command spawned asynchronously (the git server answering it runs in this process,
 * so a synchronous spawn would block it); throws when it fails.
 */
export function timeCommandAsync(cmd: string, args: string[]): Promise<number> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve((performance.now() - start) / 1000)
      else reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr}`))
    })
  })
}
