/**
 * Docker Desktop on Windows: the engine is reached over a named pipe on which Node cannot half-close a
 * stream (dockerode#534, docker-modem#83), so no command may wait for its stdin's end-of-file and no result
 * may wait for the stream's end. Reproduced here with a proxy that swallows the client's FIN (see
 * test/support/half-close-proxy.ts); every exec of a tool call and of a setup script goes through it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { editFileTool, readFileTool, shellTool, writeFileTool, type Tool } from '../../src/main/agent/tools'
import { giveWorkspaceTo, Sandbox, sandboxUser } from '../../src/main/docker/sandbox'
import { requireDocker, testImage } from '../support/docker'
import { openTestEngine, waitForStatus } from '../support/engine'
import { toolFailure, writeFiles } from '../support/files'
import { startHalfCloseProxy, type HalfCloseProxy } from '../support/half-close-proxy'
import { startModelServer, type ChatMessage } from '../support/model-server'
import { tempDir } from '../support/tmp'

/** Each call below takes well under a second; the old code hung until the tool's own 120 s timeout. */
const CALL_MS = 15_000

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'hung'> => {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)))]).finally(
    () => clearTimeout(timer),
  )
}

let root: string
let proxy: HalfCloseProxy
let proxied: Docker

beforeAll(async () => {
  await requireDocker()
  root = await mkdtemp(join(tmpdir(), 'codex-no-half-close-'))
  proxy = await startHalfCloseProxy(root)
  proxied = new Docker({ socketPath: proxy.socketPath })
})
afterAll(async () => {
  await proxy?.close()
  await rm(root, { recursive: true, force: true })
})

describe('a sandbox reached through a connection that cannot half-close', () => {
  let sandbox: Sandbox
  let workspace: string

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'codex-no-half-close-ws-'))
    await giveWorkspaceTo(workspace, sandboxUser())
    sandbox = await Sandbox.create(proxied, {
      taskId: `test-no-half-close-${randomBytes(4).toString('hex')}`,
      image: testImage(),
      workspace,
      memoryMb: 256,
      cpus: 1,
      pidsLimit: 128,
      tmpfsMb: 64,
      network: { kind: 'none' },
    })
  })
  afterAll(async () => {
    await sandbox?.remove()
    await rm(workspace, { recursive: true, force: true })
  })

  it('reproduces the hang: stdin sent and half-closed the usual way never reaches end-of-file', async () => {
    const container = proxied.getContainer(sandbox.id)
    const exec = await container.exec({
      Cmd: ['sh', '-c', 'cat >/dev/null; echo got-eof'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    })
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex
    const swallowedBefore = proxy.swallowed()
    const ended = new Promise<void>((resolve) => stream.on('close', resolve).on('end', resolve).resume())
    stream.end('input')
    expect(await within(ended, 3_000)).toBe('hung')
    expect(proxy.swallowed()).toBeGreaterThan(swallowedBefore)
    expect((await exec.inspect()).Running).toBe(true)
    stream.destroy()
    await sandbox.exec(['pkill', '-x', 'cat'])
  })

  it('passes stdin (text, binary, 3 MiB, empty) and returns each exit code and output', async () => {
    const r = await within(
      sandbox.exec(['sh', '-c', 'cat; echo "$FOO" >&2; exit 3'], {
        stdin: 'from stdin\n',
        env: { FOO: 'bar' },
      }),
      CALL_MS,
    )
    expect(r).toMatchObject({ exitCode: 3, stdout: 'from stdin\n', stderr: 'bar\n', timedOut: false })
    const big = randomBytes(3 * 1024 * 1024)
    const sum = await within(sandbox.exec(['sha256sum'], { stdin: big }), CALL_MS)
    expect(sum).toMatchObject({
      exitCode: 0,
      stdout: `${createHash('sha256').update(big).digest('hex')}  -\n`,
    })
    expect(await within(sandbox.exec(['wc', '-c'], { stdin: '' }), CALL_MS)).toMatchObject({ stdout: '0\n' })
    expect(await within(sandbox.exec(['no-such-command'], { stdin: 'x' }), CALL_MS)).toMatchObject({
      exitCode: 127,
    })
  })

  it('still times out and cancels a command that was given stdin', async () => {
    const slow = await sandbox.exec(['sh', '-c', 'cat; sleep 100'], { stdin: 'x', timeoutMs: 1500 })
    expect(slow).toMatchObject({ timedOut: true, stdout: 'x' })
    expect(slow.durationMs).toBeLessThan(1500 + 3000)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 500)
    const started = Date.now()
    await expect(
      sandbox.exec(['sh', '-c', 'cat; sleep 103'], { stdin: 'y', signal: controller.signal }),
    ).rejects.toMatchObject({ kind: 'cancelled' })
    expect(Date.now() - started).toBeLessThan(4000)
    expect((await sandbox.exec(['pgrep', '-f', '^sleep 10[03]$'])).exitCode).toBe(1)
  })

  it('runs the file and shell tools (codex-tool: write, read, list, edit, shell) to their replies', async () => {
    const run = (tool: Tool, args: unknown): Promise<string> =>
      within(tool.run(args, { workspace: sandbox }), CALL_MS).then((out) => {
        if (out === 'hung') throw new Error(`${tool.name} hung`)
        return out
      })
    expect(await run(writeFileTool, { path: 'src/a.txt', content: 'one\ntwo\nthree\n' })).toMatch(
      /Created src\/a.txt/,
    )
    expect(await run(readFileTool, { path: '/workspace/src/a.txt' })).toBe(
      '     1\tone\n     2\ttwo\n     3\tthree',
    )
    expect(await toolFailure(run(readFileTool, { path: 'src' }))).toMatch(
      /is a directory; it contains:\na.txt/,
    )
    expect(await run(editFileTool, { path: 'src/a.txt', old_string: 'two', new_string: '2' })).toMatch(
      /replaced 1 occurrence at line 2/,
    )
    expect(await readFile(join(workspace, 'src/a.txt'), 'utf8')).toBe('one\n2\nthree\n')
    expect(
      await toolFailure(run(editFileTool, { path: 'src/a.txt', old_string: 'zzz', new_string: 'y' })),
    ).toMatch(/was not found/)
    expect(await run(shellTool, { command: 'cat src/a.txt; echo to-stderr >&2' })).toBe(
      'Exit code: 0\nstdout:\none\n2\nthree\n\nstderr:\nto-stderr\n',
    )
    expect(await toolFailure(run(shellTool, { command: 'exit 4' }))).toMatch(/^Exit code: 4/)
    expect(proxy.connections()).toBeGreaterThan(0)
  })
})

describe('a task through a connection that cannot half-close', () => {
  it('runs a CRLF setup.sh, then the agent’s tool calls, to review', async () => {
    const dir = await tempDir()
    const repo = join(dir, 'repo')
    await writeFiles(repo, { 'app.txt': 'v1\n' })
    // Saved on Windows: CRLF line ends (with them left in, `set -e` is an invalid option, `cd` fails).
    await writeFile(
      join(repo, 'setup.sh'),
      'set -e\r\ncd /workspace\r\necho "setup ran in $(pwd)" > setup-note.txt\r\necho setup-done\r\n',
    )
    const model = await startModelServer([
      { toolCalls: [{ name: 'read_file', args: { path: 'setup-note.txt' } }] },
      { toolCalls: [{ name: 'edit_file', args: { path: 'app.txt', old_string: 'v1', new_string: 'v2' } }] },
      { toolCalls: [{ name: 'shell', args: { command: 'cat app.txt' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Bumped.' } }] },
    ])
    const engine = await openTestEngine({
      dataDir: join(dir, 'data'),
      baseURL: model.baseURL,
      docker: proxied,
    })
    try {
      const { id } = await engine.submit({
        source: { kind: 'folder', path: repo },
        prompt: 'Bump the version',
      })
      await waitForStatus(engine, id, ['review'], 90_000)
      const setupLog = await engine.store.readArtifact(id, 'setup.log')
      expect(setupLog).toContain('setup-done')
      expect(setupLog).not.toMatch(/invalid option|No such file/)
      const toolOutputs = (n: number): string[] =>
        model.requests[n]!.body.messages.filter((m: ChatMessage) => m.role === 'tool').map((m) =>
          String(m.content),
        )
      expect(toolOutputs(1)[0]).toBe('     1\tsetup ran in /workspace')
      expect(toolOutputs(3)[2]).toBe('Exit code: 0\nstdout:\nv2\n')
      expect(await engine.store.readArtifact(id, 'diff.patch')).toMatch(/-v1\n\+v2/)
    } finally {
      await engine.close()
      await model.close()
    }
  })
})
