import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { binary, prng, text } from './tree'

/** Bump when the generated shape changes: a cached tree with another version is made again. */
const GENERATOR_VERSION = 1
const SEED = 20_14

/** How many files of each kind (≈ 30,000 files, ≈ 300 MB in all). */
const SHAPE = {
  packages: 60,
  sourceFiles: 22_200,
  mediumFiles: 1_300,
  assets: 25,
  nodeModulesFiles: 6_000,
  distFiles: 465,
}

const GITIGNORE = 'node_modules/\ndist/\n.cache/\n*.log\ncoverage/\n'
const SOURCE_EXT = ['ts', 'ts', 'ts', 'tsx', 'tsx', 'js', 'json', 'css', 'md', 'test.ts']
const DIR_NAMES = [
  'components',
  'hooks',
  'utils',
  'api',
  'models',
  'views',
  'store',
  'lib',
  'internal',
  'core',
]
const MODULE_NAMES = ['react', 'lodash', 'zod', 'vite', 'esbuild', 'typescript', 'eslint', 'rxjs', 'yaml']

export interface MonorepoStats {
  /** The tree: no `.git`, ignored `node_modules/` and `dist/` directories included. */
  dir: string
  files: number
  bytes: number
  /** Of which under directories `.gitignore` excludes. */
  ignoredFiles: number
  ignoredBytes: number
}

type Rand = () => number

class TreeWriter {
  files = 0
  bytes = 0
  ignoredFiles = 0
  ignoredBytes = 0
  private readonly made = new Set<string>()

  constructor(readonly root: string) {}

  write(rel: string, content: string | Buffer, ignored = false): void {
    const path = join(this.root, rel)
    const parent = dirname(path)
    if (!this.made.has(parent)) {
      mkdirSync(parent, { recursive: true })
      this.made.add(parent)
    }
    writeFileSync(path, content)
    const size = Buffer.byteLength(content)
    this.files++
    this.bytes += size
    if (ignored) {
      this.ignoredFiles++
      this.ignoredBytes += size
    }
  }
}

const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
const between = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo))

/** A package's source directories: `packages/NAME/src/**`, up to 6 deep. */
function sourceDirs(rand: Rand, pkg: string): string[] {
  const dirs = [`${pkg}/src`]
  const count = between(rand, 8, 30)
  for (let i = 0; i < count; i++) {
    const parent = pick(rand, dirs)
    dirs.push(parent.split('/').length >= 8 ? parent : `${parent}/${pick(rand, DIR_NAMES)}-${i}`)
  }
  return [...new Set(dirs)]
}

/** Deep, node_modules-shaped directories: scoped packages and nested node_modules. */
function moduleDirs(rand: Rand, count: number): string[] {
  const dirs: string[] = []
  for (let i = 0; i < count; i++) {
    const name = `${pick(rand, MODULE_NAMES)}-${i}`
    const base = rand() < 0.3 ? `node_modules/@scope-${i % 7}/${name}` : `node_modules/${name}`
    const nested = rand() < 0.4 ? `/node_modules/${pick(rand, MODULE_NAMES)}-dep-${i}` : ''
    dirs.push(`${base}${nested}/${pick(rand, ['lib', 'dist/esm', 'dist/cjs', 'build/src/internal'])}`)
  }
  return dirs
}

function writeRoot(w: TreeWriter, packages: string[]): void {
  w.write('.gitignore', GITIGNORE)
  w.write(
    'package.json',
    JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }, null, 2),
  )
  w.write('README.md', `# mono\n\n${packages.length} packages.\n`)
  for (const pkg of packages) {
    w.write(`${pkg}/package.json`, JSON.stringify({ name: pkg.split('/')[1], version: '1.0.0' }, null, 2))
  }
}

function writeSources(w: TreeWriter, rand: Rand, packages: string[]): void {
  const dirs = packages.flatMap((pkg) => sourceDirs(rand, pkg))
  for (let i = 0; i < SHAPE.sourceFiles; i++) {
    w.write(`${pick(rand, dirs)}/file-${i}.${pick(rand, SOURCE_EXT)}`, text(rand, between(rand, 500, 8_000)))
  }
  for (let i = 0; i < SHAPE.mediumFiles; i++) {
    const kind = pick(rand, ['fixtures/data-%.json', 'src/generated/schema-%.ts', 'docs/guide-%.md'])
    w.write(
      `${pick(rand, packages)}/${kind.replace('%', String(i))}`,
      text(rand, between(rand, 20_000, 150_000)),
    )
  }
  for (let i = 0; i < SHAPE.assets; i++) {
    w.write(`apps/web/public/assets/image-${i}.png`, binary(rand, between(rand, 1_000_000, 5_000_000)))
  }
}

function writeIgnored(w: TreeWriter, rand: Rand, packages: string[]): void {
  const dirs = moduleDirs(rand, 400)
  for (let i = 0; i < SHAPE.nodeModulesFiles; i++) {
    const where = rand() < 0.8 ? '' : `${pick(rand, packages)}/`
    w.write(`${where}${pick(rand, dirs)}/m-${i}.js`, text(rand, between(rand, 300, 6_000)), true)
  }
  for (let i = 0; i < SHAPE.distFiles; i++) {
    w.write(`${pick(rand, packages)}/dist/chunk-${i}.js`, text(rand, between(rand, 1_000, 20_000)), true)
  }
}

/**
 * The JavaScript-monorepo-shaped tree under `workDir/monorepo/tree`, generated once (the same every run:
 * seeded PRNG) and reused while its marker names this generator version.
 */
export async function monorepoTree(workDir: string): Promise<MonorepoStats> {
  const dir = join(workDir, 'monorepo', 'tree')
  const marker = join(workDir, 'monorepo', `tree.v${GENERATOR_VERSION}.json`)
  if (existsSync(marker) && existsSync(dir)) return JSON.parse(readFileSync(marker, 'utf8')) as MonorepoStats
  await rm(join(workDir, 'monorepo'), { recursive: true, force: true })
  const rand = prng(SEED)
  const packages = Array.from({ length: SHAPE.packages }, (_, i) => `packages/pkg-${i}`)
  const w = new TreeWriter(dir)
  writeRoot(w, packages)
  writeSources(w, rand, packages)
  writeIgnored(w, rand, packages)
  const stats: MonorepoStats = { dir, ...pickCounts(w) }
  writeFileSync(marker, JSON.stringify(stats))
  return stats
}

function pickCounts(w: TreeWriter): Omit<MonorepoStats, 'dir'> {
  return { files: w.files, bytes: w.bytes, ignoredFiles: w.ignoredFiles, ignoredBytes: w.ignoredBytes }
}

/** `count` tiny files (50–400 bytes) under `dir/fixtures/snapshots/**`, for the many-entries ZIP. */
export function tinyFiles(dir: string, count: number): void {
  const rand = prng(SEED + 1)
  const w = new TreeWriter(dir)
  for (let i = 0; i < count; i++) {
    w.write(`fixtures/snapshots/s-${i % 250}/snap-${i}.snap`, text(rand, between(rand, 50, 400)))
  }
}
