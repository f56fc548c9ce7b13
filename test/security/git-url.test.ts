import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ErrorKind } from '../../src/shared/errors'
import type { TaskRecord } from '../../src/shared/task'
import { runGit } from '../../src/main/git/git'
import { secretVariants } from '../../src/main/git/redact'
import { startGitServer, type GitServer } from '../support/git-server'
import { grepTree } from '../support/grep-tree'
import type { HostileCase } from './support/task-case'
import {
  expectCaseHeld,
  expectFailed,
  expectOnlyTaskDirs,
  expectPlainMessage,
  expectRefused,
  listTree,
  runTask,
  submitOrRefusal,
  withHostileCase,
} from './support/task-case'

/**
 * Git URL and branch injection, each submitted as a task to a real engine (local http Git allowed, as
 * for a self-hosted mirror, so the GitHub token is handed to 127.0.0.1 URLs). Each hostile URL or branch
 * tries to make git run a command, read a local repository, or carry a credential; each is refused with
 * a clear message before git runs (or by git itself), nothing appears in the planted home, no marker
 * file is created anywhere, and no secret is stored or sent where it does not belong.
 */
let server: GitServer
let repoUrl: string

beforeAll(async () => {
  server = await startGitServer()
  repoUrl = await server.createRepo('app', { 'index.js': 'module.exports = 1\n' })
})
afterAll(async () => {
  await server?.close()
})

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  )

/** Files named like a marker anywhere under the case root, or in the engine's working directory. */
async function markers(c: HostileCase): Promise<string[]> {
  const here = (await exists(join(process.cwd(), 'pwned'))) ? ['<cwd>/pwned'] : []
  return [...(await listTree(c.planted.root)).filter((p) => /pwned/.test(p)), ...here]
}

interface GitCase {
  url: string | ((c: HostileCase) => string)
  branch?: string | ((c: HostileCase) => string)
}

/** Submits the git source; the task must fail with `kind` and `message`, leaving nothing behind. */
async function refusedGit(
  source: GitCase,
  kind: ErrorKind,
  message: RegExp | string,
  extra?: (c: HostileCase, task: TaskRecord | undefined) => Promise<void>,
): Promise<void> {
  await withHostileCase({ settings: { allowLocalHttpGit: true } }, async (c) => {
    const url = typeof source.url === 'function' ? source.url(c) : source.url
    const branch = typeof source.branch === 'function' ? source.branch(c) : source.branch
    const inputs = await listTree(c.input)
    const requestsBefore = server.requests.length
    const { task, refusal } = await submitOrRefusal(c, {
      source: { kind: 'git', url, branch },
      prompt: 'Update the docs',
    })
    if (task) {
      expectFailed(task, kind, message)
      expectPlainMessage(task.error?.message)
      expect(await exists(c.engine.store.paths(task.id).workspace), 'no workspace is left').toBe(false)
      expect(await exists(c.engine.store.paths(task.id).upstream), 'no clone is left').toBe(false)
    } else {
      // Refused at submit: nothing stored at all, not even a task record holding the URL.
      expectRefused(refusal, kind, message)
      expectPlainMessage(refusal.message)
    }
    expect(c.model.requests, 'the model is never called').toEqual([])
    if (kind === 'unsafe_url' || kind === 'invalid_input') {
      expect(server.requests.length, 'refused before git ran').toBe(requestsBefore)
    }
    expect(await markers(c), 'no marker file anywhere').toEqual([])
    await extra?.(c, task)
    await expectOnlyTaskDirs(c, inputs)
    await expectCaseHeld(c, task ? [task.id] : [])
  })
}

describe('Git URL: remote helpers and local transports', () => {
  it('ext::sh -c touch% <outside>/pwned', async () => {
    await refusedGit(
      { url: (c) => `ext::sh -c touch% ${c.planted.outside}/pwned` },
      'unsafe_url',
      /whitespace or control characters/,
    )
  })

  it('ext:: without spaces: ext::touch%S<outside>/pwned', async () => {
    await refusedGit(
      { url: (c) => `ext::touch%S${c.planted.outside}/pwned` },
      'unsafe_url',
      'Git remote helpers ("ext::") are not allowed.',
    )
  })

  it('fd::17', async () => {
    await refusedGit({ url: 'fd::17' }, 'unsafe_url', 'Git remote helpers ("fd::") are not allowed.')
  })

  it('file:///<outside> (a local repository, or the home itself)', async () => {
    await refusedGit(
      { url: (c) => `file://${c.planted.outside}` },
      'unsafe_url',
      'file:// URLs are not allowed.',
    )
  })

  it('a bare local path to the git server’s repository', async () => {
    await refusedGit(
      { url: () => join(server.root, 'app.git') },
      'unsafe_url',
      /Local paths .* are not allowed/,
    )
  })
})

describe('Git URL: options smuggled into git’s command line', () => {
  it('an option-looking URL: --upload-pack=touch <outside>/pwned', async () => {
    await refusedGit(
      { url: (c) => `--upload-pack=touch ${c.planted.outside}/pwned` },
      'unsafe_url',
      /whitespace or control characters/,
    )
  })

  it('an option-looking URL without spaces: --upload-pack=/usr/bin/touch', async () => {
    await refusedGit(
      { url: '--upload-pack=/usr/bin/touch' },
      'unsafe_url',
      'The Git URL must not start with "-".',
    )
  })

  it('ssh://-oProxyCommand=touch <outside>/pwned/x', async () => {
    await refusedGit(
      { url: (c) => `ssh://-oProxyCommand=touch ${c.planted.outside}/pwned/x` },
      'unsafe_url',
      /whitespace or control characters/,
    )
  })

  it('ssh://-oProxyCommand=… without spaces, and its scp-like forms', async () => {
    await refusedGit(
      { url: 'ssh://-oProxyCommand=touch%20pwned/x' },
      'unsafe_url',
      /no valid host name|not a valid URL/,
    )
    await refusedGit({ url: 'git@-oProxyCommand=touch:repo.git' }, 'unsafe_url', /host name|not valid/)
    await refusedGit(
      { url: 'git@github.com:-oProxyCommand=touch' },
      'unsafe_url',
      /repository path .* not valid/,
    )
  })

  it('an option-looking branch: --upload-pack=touch <outside>/pwned', async () => {
    await refusedGit(
      { url: () => repoUrl, branch: (c) => `--upload-pack=touch ${c.planted.outside}/pwned` },
      'invalid_input',
      /is not a valid branch name: it starts with "-"/,
    )
  })

  it('an option-looking branch: -b (and -c core.sshCommand)', async () => {
    await refusedGit({ url: () => repoUrl, branch: '-b' }, 'invalid_input', /starts with "-"/)
    await refusedGit(
      { url: () => repoUrl, branch: '-ccore.sshCommand=touch' },
      'invalid_input',
      /starts with "-"/,
    )
  })

  it('ref syntax as a branch: a refspec, a reflog entry, a revision range', async () => {
    await refusedGit(
      { url: () => repoUrl, branch: 'main:refs/heads/x' },
      'invalid_input',
      /forbidden character/,
    )
    await refusedGit({ url: () => repoUrl, branch: 'HEAD@{1}' }, 'invalid_input', /"@\{"/)
    await refusedGit({ url: () => repoUrl, branch: 'main..evil' }, 'invalid_input', /contains "\.\."/)
  })
})

describe('Git URL: control characters', () => {
  it('a newline in the URL (a second config line, a second argument)', async () => {
    await refusedGit(
      { url: (c) => `${repoUrl}\n--upload-pack=touch ${c.planted.outside}/pwned` },
      'unsafe_url',
      /whitespace or control characters/,
    )
  })

  it('an escape sequence and a C1 control in the URL', async () => {
    await refusedGit(
      { url: `${'https://github.com/o/r'}\x1b]52;c;cHduZWQ=\x07.git` },
      'unsafe_url',
      /control characters/,
    )
    await refusedGit({ url: 'https://github.com/o/r\u009b2J.git' }, 'unsafe_url', /control characters/)
  })

  it('a newline and an escape sequence in the branch: refused, shown as ?', async () => {
    await refusedGit(
      { url: () => repoUrl, branch: 'main\n--upload-pack=touch' },
      'invalid_input',
      '"main?--upload-pack=touch" is not a valid branch name',
    )
    await refusedGit(
      { url: () => repoUrl, branch: 'main\x1b]52;c;cHduZWQ=\x07' },
      'invalid_input',
      '"main?]52;c;cHduZWQ=?" is not a valid branch name',
    )
  })
})

describe('Git URL: credentials', () => {
  it('a URL carrying the GitHub token as its password: refused, and the token is stored nowhere', async () => {
    await refusedGit(
      { url: (c) => `${repoUrl.replace('http://', `http://x-access-token:${c.planted.githubToken}@`)}` },
      'unsafe_url',
      'The Git URL contains a password.',
    )
  })

  it('a URL carrying the GitHub token as its user name: refused, and stored nowhere', async () => {
    await refusedGit(
      { url: (c) => `https://${c.planted.githubToken}@github.com/octo/app.git` },
      'unsafe_url',
      'The Git URL contains a token.',
    )
  })
})

/** An http server on 127.0.0.1 answering every request with a redirect to `to(path)`. */
async function redirector(
  to: (path: string) => string,
): Promise<{ url: string; hits: IncomingMessage[]; server: Server }> {
  const hits: IncomingMessage[] = []
  const srv = createServer((req, res) => {
    hits.push(req)
    res.writeHead(302, { location: to(req.url ?? '/') })
    res.end()
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, hits, server: srv }
}

const closeServer = (srv: Server): Promise<void> =>
  new Promise((resolve) => {
    srv.closeAllConnections()
    srv.close(() => resolve())
  })

describe('Git URL: redirects from the server', () => {
  it('a redirect to file:// (a local repository holding a marker) is not followed', async () => {
    const local = await startGitServer()
    await local.createRepo('local', { 'LOCAL-ONLY.txt': 'read from the host disk\n' })
    const redirect = await redirector(() => `file://${join(local.root, 'local.git')}`)
    try {
      await refusedGit(
        { url: `${redirect.url}/app.git` },
        'git_failed',
        /Cloning .* failed|not found|Could not/,
        async (c) => {
          expect(redirect.hits.length).toBeGreaterThan(0)
          expect(await grepTree(c.planted.dataDir, 'read from the host disk')).toEqual([])
        },
      )
    } finally {
      await closeServer(redirect.server)
      await local.close()
    }
  })

  it('a redirect to ext:: is not followed', async () => {
    const redirect = await redirector(() => 'ext::sh -c touch% pwned')
    try {
      await refusedGit(
        { url: `${redirect.url}/app.git` },
        'git_failed',
        /Cloning .* failed|not found|Could not/,
        async () => {
          expect(redirect.hits.length).toBeGreaterThan(0)
        },
      )
    } finally {
      await closeServer(redirect.server)
    }
  })

  it('a redirect to another host never carries the GitHub token there', async () => {
    await withHostileCase({ settings: { allowLocalHttpGit: true } }, async (c) => {
      // The other host: a real git server that would accept the token (and records whether it came).
      const other = await startGitServer({ token: c.planted.githubToken })
      await other.createRepo('app', { 'index.js': 'module.exports = "elsewhere"\n' })
      const port = new URL(other.baseUrl).port
      const redirect = await redirector((path) => `http://localhost:${port}${path}`)
      try {
        const task = await runTask(c, {
          source: { kind: 'git', url: `${redirect.url}/app.git` },
          prompt: 'Update the docs',
        })
        expect(redirect.hits.length).toBeGreaterThan(0)
        expect(other.requests.length, 'git followed the redirect to the other host').toBeGreaterThan(0)
        const seen = other.requests.filter((r) => r.authorized)
        expect(seen, 'requests to the other host that carried the token').toEqual([])
        // Without the token, the other host refuses: the task fails on authentication, leaving nothing.
        expectFailed(task, 'auth_failed', /Authentication to .* failed/)
        const headers = redirect.hits.map((h) => JSON.stringify(h.headers)).join('\n')
        await expectCaseHeld(c, [task.id])
        // The token did go to the loopback host it was meant for; it is never in anything kept.
        expect(secretVariants(c.planted.githubToken).some((v) => headers.includes(v))).toBe(true)
      } finally {
        await closeServer(redirect.server)
        await other.close()
      }
    })
  })
})

describe('Git URL: what git itself is told not to do', () => {
  it('a clone that works keeps no credentials and no remote helpers in the upstream config', async () => {
    await withHostileCase(
      {
        settings: { allowLocalHttpGit: true },
        script: [{ toolCalls: [{ name: 'finish', args: { summary: 'Nothing to do.' } }] }],
      },
      async (c) => {
        const task = await runTask(c, { source: { kind: 'git', url: repoUrl }, prompt: 'Look around' })
        expect(task.status, JSON.stringify(task.error)).toBe('review')
        const paths = c.engine.store.paths(task.id)
        const config = await readFile(join(paths.upstream, 'config'), 'utf8')
        expect(config).not.toMatch(/extraheader|askpass|credential|sshCommand|fsmonitor|hooksPath/i)
        const remote = await runGit(['config', '--get', 'remote.origin.url'], { gitDir: paths.upstream })
        expect(remote.stdout.trim()).toBe(repoUrl)
        await expectCaseHeld(c, [task.id])
      },
    )
  })
})
