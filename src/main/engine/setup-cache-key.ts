import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { lstatNoFollow, readWorkspaceFileSync, relativePathProblem } from '../util/workspace-read'

/**
 * The key of a setup-cache entry: what a setup's result depends on. Two tasks share an entry only when
 * the agent image, the engine's platform, the setup script and every lockfile/manifest setup reads are
 * byte for byte the same.
 */
export interface SetupCacheKeyInput {
  /** The agent image's tag or digest (a content hash of its build). */
  image: string
  /**
   * The engine's platform (`linux/amd64`): what setup ran on. The same image tag is built for each
   * engine's own platform, and what setup installs (node_modules with native addons, a venv, a
   * toolchain) runs only there.
   */
  platform: string
  /** The setup script that runs (the task's own, or the repository's setup.sh). */
  script: string
  /** The host-side workspace (sandbox-controlled: read without following links). */
  workspace: string
}

export interface SetupCacheKey {
  key: string
  /** The workspace-relative files whose content went into the key, sorted. */
  files: string[]
}

/** Names of the lockfiles and manifests setup scripts install from. */
const LOCKFILE_NAMES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'Cargo.lock',
  'go.sum',
  'Gemfile.lock',
  'composer.lock',
])
const REQUIREMENTS = /^requirements.*\.txt$/
/** How deep below the workspace root lockfiles are looked for (root = 0). */
const MAX_DEPTH = 3
/** Directories never searched: installed dependencies and VCS data are outputs, not inputs. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.venv', 'venv', 'target', 'vendor', 'dist', 'build'])
const MAX_KEY_FILE_BYTES = 64 * 1024 * 1024

export function isLockfileName(name: string): boolean {
  return LOCKFILE_NAMES.has(name) || REQUIREMENTS.test(name)
}

/** Paths named by `# cache-key: path` comments of the script (clean relative paths only). */
export function cacheKeyComments(script: string): string[] {
  const paths: string[] = []
  for (const line of script.split(/\r?\n/)) {
    const match = /^\s*#\s*cache-key:\s*(\S+)\s*$/.exec(line)
    const path = match?.[1]
    if (path && !relativePathProblem(path)) paths.push(path)
  }
  return paths
}

/** Lockfiles of the workspace, at most MAX_DEPTH directories down, never through a symbolic link. */
export function findLockfiles(workspace: string): string[] {
  const found: string[] = []
  const walk = (dir: string, depth: number): void => {
    let names: string[]
    try {
      names = readdirSync(dir ? `${workspace}/${dir}` : workspace)
    } catch {
      return
    }
    for (const name of names.sort()) {
      const rel = dir ? `${dir}/${name}` : name
      const entry = lstatNoFollow(workspace, rel)
      if (!entry.ok || !entry.info || entry.info.isSymbolicLink()) continue
      if (entry.info.isFile() && isLockfileName(name)) found.push(rel)
      else if (entry.info.isDirectory() && depth < MAX_DEPTH && !SKIPPED_DIRS.has(name)) walk(rel, depth + 1)
    }
  }
  walk('', 0)
  return found
}

/** The content hash of one key file, or a marker saying why it could not be read (still part of the key). */
function fileDigest(workspace: string, rel: string): string {
  const read = readWorkspaceFileSync(workspace, rel, { maxBytes: MAX_KEY_FILE_BYTES })
  if (!read.ok) return `unreadable:${read.reason}`
  return createHash('sha256').update(read.content).digest('hex')
}

export function computeSetupCacheKey(input: SetupCacheKeyInput): SetupCacheKey {
  const files = [...new Set([...findLockfiles(input.workspace), ...cacheKeyComments(input.script)])].sort()
  const hash = createHash('sha256')
  const part = (label: string, value: string): void => {
    // Length-prefixed parts: no two different inputs can run together into the same bytes.
    hash.update(`${label}:${Buffer.byteLength(value)}:${value}\n`)
  }
  part('version', '1')
  part('image', input.image)
  part('platform', input.platform)
  part('script', input.script)
  for (const rel of files) part(`file:${rel}`, fileDigest(input.workspace, rel))
  return { key: hash.digest('hex'), files }
}
