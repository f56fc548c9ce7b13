import { lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runGit } from '../../src/main/git/git'
import { importGitUrl } from '../../src/main/sources/git-url'
import { startGitServer, type GitServer } from '../support/git-server'
import { tempDir } from '../support/tmp'

/**
 * The clone checks files out with git's parallel workers (checkout.workers in git-url.ts), which engage
 * from 100 files on. A hostile repository served over HTTP whose tree holds, under one name, both a
 * symlink to a folder outside the workspace and a folder of 150 files: whichever writer creates `d`
 * first, no file may land through the link, and every file stays inside the workspace.
 */
const FILES = 150

/** A tree entry in git's binary format: `<mode> <name>\0<20-byte id>`. */
const entry = (mode: string, name: string, id: string): Buffer =>
  Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')])

async function hostileRepo(gitDir: string, outside: string, linkFirst: boolean): Promise<void> {
  await runGit(['init', '--bare', '-q', '--initial-branch=main', gitDir])
  const write = async (args: string[], input: string | Buffer): Promise<string> =>
    (await runGit(args, { gitDir, input })).stdout.trim()
  const blob = await write(['hash-object', '-w', '--stdin'], 'planted by the repository\n')
  const names = Array.from({ length: FILES }, (_, i) => `f${String(i).padStart(3, '0')}`)
  const folder = await write(['mktree'], names.map((n) => `100644 blob ${blob}\t${n}\n`).join(''))
  const link = await write(['hash-object', '-w', '--stdin'], outside)
  // Two entries named `d`, in git's sorted order (the link first) or not.
  const [asLink, asFolder] = [entry('120000', 'd', link), entry('40000', 'd', folder)]
  const top = Buffer.concat(linkFirst ? [asLink, asFolder] : [asFolder, asLink])
  const tree = await write(['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], top)
  const commit = await write(
    ['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit-tree', tree, '-m', 'hostile'],
    '',
  )
  await runGit(['update-ref', 'refs/heads/main', commit], { gitDir })
}

describe('importGitUrl: parallel checkout of a hostile tree', () => {
  let server: GitServer

  beforeAll(async () => {
    server = await startGitServer()
  })
  afterAll(async () => {
    await server?.close()
  })

  /** Clones the hostile repository into a fresh workspace; returns it and the outside folder. */
  async function cloneHostile(name: string, linkFirst: boolean): Promise<{ dest: string; outside: string }> {
    const root = await tempDir()
    const outside = join(root, 'outside')
    await mkdir(outside)
    await hostileRepo(join(server.root, `${name}.git`), outside, linkFirst)
    const dest = join(root, 'ws')
    await importGitUrl({ url: `${server.baseUrl}/${name}.git`, dest, allowLocalHttp: true })
    return { dest, outside }
  }

  it('the link first, then a folder of 150 files under its name: the files stay in the workspace', async () => {
    const { dest, outside } = await cloneHostile('link-first', true)
    expect(await readdir(outside), 'files written through the link').toEqual([])
    expect((await lstat(join(dest, 'd'))).isSymbolicLink(), 'd left as a link outside').toBe(false)
    expect((await readdir(join(dest, 'd'))).length, 'the files, inside the workspace').toBe(FILES)
  })

  it('the folder first, then the link: the link is written as a link and nothing goes through it', async () => {
    const { dest, outside } = await cloneHostile('folder-first', false)
    expect(await readdir(outside), 'files written through the link').toEqual([])
    // What git's sequential checkout makes of it too: the last entry, a link (never followed by the host).
    expect((await lstat(join(dest, 'd'))).isSymbolicLink()).toBe(true)
  })
})
