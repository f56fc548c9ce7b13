import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { agentImageDir } from '../../../src/main/cli/paths'
import { agentImageTag } from '../../../src/main/docker/image'
import { collectCaBundle } from '../../../src/main/network/ca-bundle'
import { makeTestCa } from '../../support/test-ca'
import { tempDir } from '../../support/tmp'

const SCRIPT = fileURLToPath(new URL('../../../src/main/cli/build-image.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))

/** An engine on a unix socket that has every image: `npm run image` then only looks and prints the tag. */
const servers: Server[] = []
async function engineWithEveryImage(dir: string): Promise<{ socket: string; asked: string[] }> {
  const socket = join(dir, 'engine.sock')
  const asked: string[] = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!
    asked.push(`${req.method} ${path}`)
    res.writeHead(200, { 'Content-Type': 'application/json' })
    if (path.endsWith('/version')) res.end(JSON.stringify({ Version: '99.1-settings', ApiVersion: '1.41' }))
    else res.end(JSON.stringify({ Id: 'sha256:0' }))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  return { socket, asked }
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [SCRIPT, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('npm run image', () => {
  it('uses the engine and the extra CA file Settings name, over DOCKER_HOST, like the task engine does', async () => {
    const dir = await tempDir()
    const engine = await engineWithEveryImage(dir)
    const ca = makeTestCa(dir, 'corp-proxy')
    const dataDir = join(dir, 'data')
    await mkdir(dataDir)
    await writeFile(
      join(dataDir, 'settings.json'),
      JSON.stringify({ docker: { host: `unix://${engine.socket}` }, network: { caBundlePath: ca.crt } }),
    )
    const env = { HOME: dir, DOCKER_HOST: `unix://${join(dir, 'nothing-here.sock')}` }
    const { code, out } = await run(['--data-dir', dataDir, '--base', 'debian:bookworm-slim'], env)
    expect(out).toContain(`Engine at unix://${engine.socket} (from Settings)`)
    expect(out).toContain('Docker 99.1-settings (API 1.41)')
    expect(code).toBe(0)
    // The tag the engine computes: the host's CAs and Settings' extra one.
    const { pem } = await collectCaBundle({ extraPath: ca.crt, env: { PATH: process.env.PATH, ...env } })
    expect(pem).toContain(ca.pem.trim())
    const tag = await agentImageTag(agentImageDir(), 'debian:bookworm-slim', pem)
    expect(out.trim().split('\n').at(-1)).toBe(tag)
    expect(engine.asked).toContain(`GET /images/${tag}/json`)
  }, 60_000)

  it('finds the engine like the docker CLI when Settings name none (DOCKER_HOST here)', async () => {
    const dir = await tempDir()
    const engine = await engineWithEveryImage(dir)
    const { code, out } = await run(['--data-dir', join(dir, 'data'), '--base', 'debian:bookworm-slim'], {
      HOME: dir,
      DOCKER_HOST: `unix://${engine.socket}`,
    })
    expect(out).toContain(`Engine at unix://${engine.socket} (from DOCKER_HOST)`)
    expect(out).toContain('Docker 99.1-settings')
    expect(code).toBe(0)
  }, 60_000)
})
