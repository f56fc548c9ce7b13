import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { expect } from 'vitest'
import type { ModelServer } from '../../support/model-server'
import { grepTreeAll, needleScanner } from '../../support/grep-tree'
import { tempDir } from '../../support/tmp'

/**
 * What every hostile case plants and then proves untouched: a secret file OUTSIDE the data directory
 * (standing for `~/.ssh/id_ed25519`), the model API key and the GitHub token. The case aims its hostile
 * input at `outside` (the planted home); afterwards nothing may have been created, changed or removed
 * there, and none of the three secrets may appear in any file under the case's root (the data dir:
 * task records, events, artifacts, logs, prompts, the workspace, the private git dir and its config;
 * uploads; the user's folder and its `.git/config`) nor in any request body the model server received.
 */
export interface Planted {
  /** The case's root: `data/` (the data dir), `outside/` (the planted home) and whatever the case adds. */
  root: string
  dataDir: string
  /** The planted home; its `.ssh/id_ed25519` holds `hostSecret`. */
  outside: string
  hostSecretPath: string
  hostSecret: string
  apiKey: string
  githubToken: string
  /** Every file under `outside` (relative path → content) when it was planted. */
  snapshot: Map<string, string>
}

const needle = (what: string): string => `${what}-${randomBytes(12).toString('hex')}`

/**
 * Plants the secrets. `files` adds files to the planted home (relative path → content; `{SECRET}` in a
 * content becomes the host secret), for cases that aim a link at something other than the key.
 */
export async function plantSecrets(opts: { files?: Record<string, string> } = {}): Promise<Planted> {
  const root = await tempDir('codex-hostile-')
  const outside = join(root, 'outside')
  const hostSecret = needle('HOST-SECRET')
  const hostSecretPath = join(outside, '.ssh', 'id_ed25519')
  await mkdir(join(outside, '.ssh'), { recursive: true })
  await writeFile(hostSecretPath, `-----BEGIN OPENSSH PRIVATE KEY-----\n${hostSecret}\n`)
  await writeFile(join(outside, '.bashrc'), '# the user’s own\n')
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    await mkdir(dirname(join(outside, rel)), { recursive: true })
    await writeFile(join(outside, rel), content.replaceAll('{SECRET}', hostSecret))
  }
  const dataDir = join(root, 'data')
  await mkdir(dataDir, { recursive: true })
  return {
    root,
    dataDir,
    outside,
    hostSecretPath,
    hostSecret,
    apiKey: `sk-${needle('APIKEY')}`,
    githubToken: `ghp_${needle('GHTOKEN')}`,
    snapshot: await snapshotTree(outside),
  }
}

async function snapshotTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const visit = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const abs = join(path, entry.name)
      if (entry.isDirectory()) await visit(abs)
      else if (entry.isFile()) out.set(relative(dir, abs), await readFile(abs, 'utf8'))
      else out.set(relative(dir, abs), entry.isSymbolicLink() ? '<symlink>' : '<special file>')
    }
  }
  await visit(dir)
  return out
}

/** Nothing was created, changed or removed in the planted home. */
export async function expectOutsideUntouched(planted: Planted): Promise<void> {
  const now = await snapshotTree(planted.outside)
  expect([...now.keys()].sort(), 'files in the planted home').toEqual([...planted.snapshot.keys()].sort())
  for (const [path, content] of planted.snapshot) expect(now.get(path), path).toBe(content)
}

/** None of the planted secrets appears anywhere a leak could land (see `Planted`). */
export async function expectNoSecretLeaked(
  planted: Planted,
  opts: { model?: ModelServer; also?: Array<{ what: string; text: string }> } = {},
): Promise<void> {
  const secrets = [planted.hostSecret, planted.apiKey, planted.githubToken]
  const hits: string[] = []
  for (const { file, needle } of await grepTreeAll(planted.root, secrets)) {
    if (!file.startsWith(planted.outside + sep))
      hits.push(`${relative(planted.root, file)} holds ${needle.slice(0, 12)}…`)
  }
  for (const secret of secrets) {
    for (const [i, req] of (opts.model?.requests ?? []).entries()) {
      if (JSON.stringify(req.body).includes(secret))
        hits.push(`model request #${i + 1} holds ${secret.slice(0, 12)}…`)
    }
    for (const extra of opts.also ?? []) {
      if (extra.text.includes(secret)) hits.push(`${extra.what} holds ${secret.slice(0, 12)}…`)
    }
  }
  hits.push(...(await packedLeaks(planted.root, planted.outside, secrets)))
  expect(hits, 'leaked secrets').toEqual([])
}

/**
 * What plain grep cannot see: the (zlib-compressed) objects of every git directory under `root`, and the
 * (deflated) entries of every ZIP — an exported ZIP or the baseline's blobs could hold a leak. Returns
 * "<where> holds <secret>…" for each find.
 */
async function packedLeaks(root: string, skip: string, secrets: string[]): Promise<string[]> {
  const hits: string[] = []
  const search = async (where: string, cmd: string, args: string[], input?: string): Promise<void> => {
    for (const secret of await streamContains(cmd, args, secrets, input)) {
      hits.push(`${where} holds ${secret.slice(0, 12)}…`)
    }
  }
  const visit = async (dir: string): Promise<void> => {
    if (dir === skip) return
    const entries = await readdir(dir, { withFileTypes: true })
    const names = new Set(entries.map((e) => e.name))
    if (names.has('objects') && names.has('HEAD')) {
      const where = `git objects of ${relative(root, dir)}`
      const list = spawnSync('git', ['--git-dir', dir, 'cat-file', '--batch-all-objects', '--batch-check'])
      const shas = String(list.stdout)
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0])
      await search(where, 'git', ['--git-dir', dir, 'cat-file', '--batch'], shas.join('\n') + '\n')
    }
    for (const entry of entries) {
      const abs = join(dir, entry.name)
      if (entry.isDirectory()) await visit(abs)
      else if (entry.isFile() && entry.name.endsWith('.zip')) {
        await search(`entries of ${relative(root, abs)}`, 'unzip', ['-p', abs])
      }
    }
  }
  await visit(root)
  return hits
}

/** Which of `needles` the output of a command holds (streamed: a 5 GB blob is never held in memory). */
async function streamContains(
  cmd: string,
  args: string[],
  needles: string[],
  input?: string,
): Promise<string[]> {
  const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'ignore'] })
  // A command that exits before reading all of it (EPIPE) has said what it had to.
  child.stdin?.on('error', () => undefined).end(input)
  const scanner = needleScanner(needles)
  for await (const chunk of child.stdout!) scanner.scan(chunk as Buffer)
  return scanner.found()
}

/** Both checks every case ends with. */
export async function expectHeld(
  planted: Planted,
  opts: Parameters<typeof expectNoSecretLeaked>[1] = {},
): Promise<void> {
  await expectOutsideUntouched(planted)
  await expectNoSecretLeaked(planted, opts)
}
