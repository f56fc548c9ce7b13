import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { expect } from 'vitest'
import type { ModelServer } from '../../support/model-server'
import { grepTree } from '../../support/grep-tree'
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

export async function plantSecrets(): Promise<Planted> {
  const root = await tempDir('codex-hostile-')
  const outside = join(root, 'outside')
  const hostSecret = needle('HOST-SECRET')
  const hostSecretPath = join(outside, '.ssh', 'id_ed25519')
  await mkdir(join(outside, '.ssh'), { recursive: true })
  await writeFile(hostSecretPath, `-----BEGIN OPENSSH PRIVATE KEY-----\n${hostSecret}\n`)
  await writeFile(join(outside, '.bashrc'), '# the user’s own\n')
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
  for (const secret of secrets) {
    for (const file of await grepTree(planted.root, secret)) {
      if (file !== planted.hostSecretPath)
        hits.push(`${relative(planted.root, file)} holds ${secret.slice(0, 12)}…`)
    }
    for (const [i, req] of (opts.model?.requests ?? []).entries()) {
      if (JSON.stringify(req.body).includes(secret))
        hits.push(`model request #${i + 1} holds ${secret.slice(0, 12)}…`)
    }
    for (const extra of opts.also ?? []) {
      if (extra.text.includes(secret)) hits.push(`${extra.what} holds ${secret.slice(0, 12)}…`)
    }
  }
  expect(hits, 'leaked secrets').toEqual([])
}

/** Both checks every case ends with. */
export async function expectHeld(
  planted: Planted,
  opts: Parameters<typeof expectNoSecretLeaked>[1] = {},
): Promise<void> {
  await expectOutsideUntouched(planted)
  await expectNoSecretLeaked(planted, opts)
}
