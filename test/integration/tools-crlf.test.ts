import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { editFileTool, readFileTool } from '../../src/main/agent/tools'
import { giveWorkspaceTo, Sandbox, sandboxUser } from '../../src/main/docker/sandbox'
import { requireDocker, testImage } from '../support/docker'

/** read_file and edit_file in the real sandbox (codex-tool in the agent image) on a CRLF file. */
let docker: Docker
let sandbox: Sandbox
let workspace: string

beforeAll(async () => {
  docker = await requireDocker()
  workspace = await mkdtemp(join(tmpdir(), 'codex-crlf-ws-'))
  await writeFile(join(workspace, 'win.txt'), 'first\r\nsecond\r\nthird\r\n')
  await giveWorkspaceTo(workspace, sandboxUser())
  sandbox = await Sandbox.create(docker, {
    taskId: `test-crlf-${randomBytes(4).toString('hex')}`,
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

describe('CRLF files through the tools in the sandbox', () => {
  it('reads without \\r, edits with \\n and the file stays CRLF', async () => {
    const ctx = { workspace: sandbox }
    const shown = await readFileTool.run({ path: 'win.txt' }, ctx)
    expect(shown).toBe(
      '     1\tfirst\n     2\tsecond\n     3\tthird\n[the file has CRLF (\\r\\n) line endings, not shown; edit_file keeps them]',
    )
    const edited = await editFileTool.run(
      { path: '/workspace/win.txt', old_string: 'first\nsecond\n', new_string: 'first\n2nd\nand more\n' },
      ctx,
    )
    expect(edited).toMatch(/replaced 1 occurrence at line 1/)
    expect(await readFile(join(workspace, 'win.txt'), 'utf8')).toBe('first\r\n2nd\r\nand more\r\nthird\r\n')
  })
})
