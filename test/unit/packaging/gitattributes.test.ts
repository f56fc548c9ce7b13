import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../support/tmp'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
/** git with no user or system config: only what a command sets. */
const git = async (cwd: string, args: string[]): Promise<string> =>
  (
    await run('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
      },
    })
  ).stdout

/** The agent image's files that run inside the Linux container. */
const SCRIPTS = ['agent-image/codex-tool', 'agent-image/codex-relay', 'agent-image/Dockerfile']

describe('.gitattributes (a Windows checkout of this project builds a working image)', () => {
  it('exists and makes the agent image scripts LF and images and archives binary', async () => {
    expect(await readFile(join(root, '.gitattributes'), 'utf8')).toMatch(/^\* text=auto eol=lf$/m)
    expect(await git(root, ['check-attr', 'eol', '--', 'agent-image/codex-tool'])).toBe(
      'agent-image/codex-tool: eol: lf\n',
    )
    for (const path of ['resources/icon.png', 'fixture.zip', 'a/b.jpg']) {
      expect(await git(root, ['check-attr', 'text', '--', path])).toBe(`${path}: text: unset\n`)
    }
  })

  it('keeps LF in a checkout made with Windows settings (core.autocrlf=true, core.eol=crlf)', async () => {
    const repo = await tempDir('codex-gitattributes-')
    await mkdir(join(repo, 'agent-image'))
    for (const path of ['.gitattributes', ...SCRIPTS]) await copyFile(join(root, path), join(repo, path))
    await git(repo, ['init', '-q'])
    await git(repo, ['add', '-A'])
    await git(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x'])
    const checkout = async (): Promise<void> => {
      for (const path of SCRIPTS) await rm(join(repo, path))
      await git(repo, ['-c', 'core.autocrlf=true', '-c', 'core.eol=crlf', 'checkout', '--', ...SCRIPTS])
    }
    await checkout()
    for (const path of SCRIPTS) {
      expect((await readFile(join(repo, path))).includes('\r\n'), `${path} has CRLF`).toBe(false)
    }
    // Without the attributes the same checkout writes CRLF: the test sees what the file prevents.
    await git(repo, ['rm', '-q', '--cached', '.gitattributes'])
    await rm(join(repo, '.gitattributes'))
    await git(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'no attributes'])
    await checkout()
    expect((await readFile(join(repo, 'agent-image/codex-tool'))).includes('\r\n')).toBe(true)
  })
})
