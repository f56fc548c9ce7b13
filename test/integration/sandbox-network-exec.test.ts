/**
 * The proxied sandbox over the exec transport (Docker Desktop, remote engines): nothing of the host is
 * mounted; codex-mux under `docker exec` carries the relay's ports over the Docker API's own stream to the
 * host's sockets, here fake servers that forward nothing. Shared setup: sandbox-network-setup.ts.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { appErrorOf } from '../support/files'
import { ECHO_CLIENT, expectEchoesIntact, fakeServer, netDir } from './sandbox-network-fakes'
import { bridgePeer, eventsDuring, FAILED, probe, usePeers } from './sandbox-network-peers'
import { newSandbox, sh, useDocker } from './sandbox-network-setup'

useDocker()
usePeers()

/**
 * One client that tries to send 64 MiB to the echo for 3 s and never reads its answer: its channel's
 * windows fill and stay full, so it gets only a few MiB out, and codex-mux holds no more than a window of
 * it. Meanwhile a second client echoes 4 MiB: it must finish, intact.
 */
const STALLED_AND_BUSY = `
import hashlib, os, socket, time
stalled = socket.create_connection(('127.0.0.1', 3128), timeout=30)
stalled.sendall(b'ECHO\\n')
stalled.setblocking(False)
sent = 0
deadline = time.time() + 3
while sent < (64 << 20) and time.time() < deadline:
    try: sent += stalled.send(os.urandom(1 << 16))
    except BlockingIOError: time.sleep(0.01)
busy = socket.create_connection(('127.0.0.1', 3128), timeout=20)
data = os.urandom(4 << 20)
busy.sendall(b'ECHO\\n')
got = bytearray()
view = memoryview(data)
busy.setblocking(False)
off = 0
start = time.time()
while len(got) < len(data) and time.time() - start < 20:
    if off < len(data):
        try: off += busy.send(view[off:off + (1 << 16)])
        except BlockingIOError: pass
    try:
        d = busy.recv(1 << 20)
        if not d: break
        got.extend(d)
    except BlockingIOError: time.sleep(0.001)
mux = [p for p in os.listdir('/proc') if p.isdigit() and b'codex-mux' in open(f'/proc/{p}/cmdline', 'rb').read()]
rss = max(int(l.split()[1]) for p in mux for l in open(f'/proc/{p}/status') if l.startswith('VmRSS:'))
print('stalled sent MiB', sent >> 20, 'mux RSS MiB', rss >> 10, 'busy intact', bytes(got) == data)
`

/**
 * What the agent can do to codex-mux (same uid): open its stdout through /proc and write frames of its
 * own into the stream the host reads — an OPEN for a port the host has no socket for, or junk.
 */
const FORGE_FRAME = `
import os, struct, sys
pid = next(p for p in os.listdir('/proc') if p.isdigit() and b'codex-mux' in open(f'/proc/{p}/cmdline', 'rb').read())
fd = os.open(f'/proc/{pid}/fd/1', os.O_WRONLY)
frame = struct.pack('>BIIH', 2, 99, 2, 22) if sys.argv[1] == 'open22' else b'HTTP/1.1 400 Bad Request\\r\\n'
os.write(fd, frame)
print('forged')
`

describe('proxied over the exec transport: the Docker API’s stream is the only way out', () => {
  let sandbox: Sandbox
  let dir: string
  let proxy: Awaited<ReturnType<typeof fakeServer>>
  let model: Awaited<ReturnType<typeof fakeServer>>

  beforeAll(async () => {
    dir = await netDir()
    proxy = await fakeServer(join(dir, 'proxy.sock'))
    model = await fakeServer(join(dir, 'model.sock'))
    sandbox = await newSandbox({ network: { kind: 'proxied', netDir: dir, transport: 'exec' } })
    const started = Date.now()
    expect(await sandbox.startRelay({ require: ['proxy', 'model'] })).toEqual({ ports: [3128, 3129] })
    expect(Date.now() - started).toBeLessThan(5000)
  })
  afterAll(async () => {
    await sandbox?.remove()
    await proxy?.close()
    await model?.close()
  })

  it('mounts nothing of the host: only lo, no DNS, no route, an empty /run/codex-net', async () => {
    const { value, bridge } = await eventsDuring(async () => ({
      nets: await sh(sandbox, 'ls /sys/class/net; tail -n +2 /proc/net/route'),
      mounts: await sh(sandbox, 'grep -c codex-net /proc/mounts; ls -A /run/codex-net'),
      probes: await probe(sandbox, bridgePeer),
    }))
    expect(value.nets.stdout).toBe('lo\n')
    expect(value.mounts.stdout).toBe('0\n')
    expect(value.probes.dns).toMatch(FAILED)
    expect(value.probes.tcp4).toMatch(/Network is unreachable/)
    expect(value.probes.relayPort).toMatch(/^connected/)
    expect(bridge).toEqual([])
  })

  it('carries bytes both ways, intact, on many connections at once, with half-close', async () => {
    await expectEchoesIntact(sandbox)
  })

  it('a client that stops reading holds up its own connection only', async () => {
    const r = await sandbox.exec(['python3', '-c', STALLED_AND_BUSY], { timeoutMs: 60_000 })
    const m = /^stalled sent MiB (\d+) mux RSS MiB (\d+) busy intact (\w+)$/.exec(r.stdout.trim())
    expect(m, r.stdout + r.stderr).not.toBeNull()
    const [sentMiB, rssMiB, intact] = [Number(m![1]), Number(m![2]), m![3]]
    expect(intact).toBe('True')
    // Socket buffers on the way and one window each side: a few MiB, not the 64 MiB it tried; codex-mux
    // itself (Python's own ~10 MiB, plus what it holds) never near what a window-less relay would buffer.
    expect(sentMiB).toBeGreaterThanOrEqual(1)
    expect(sentMiB).toBeLessThan(24)
    expect(rssMiB).toBeLessThan(40)
  })

  it('ordinary clients go through it: curl’s CONNECT and plain HTTP reach the host’s proxy', async () => {
    proxy.lines.length = 0
    const http = await sh(sandbox, 'curl -sS http://deb.debian.org/debian/')
    expect(http.stdout).toBe('blocked by the test proxy\n')
    const https = await sh(sandbox, 'curl -sS -o /dev/null https://registry.npmjs.org/is-number')
    expect(https.stderr).toMatch(/403/)
    expect(proxy.lines).toEqual([
      'GET http://deb.debian.org/debian/ HTTP/1.1',
      'CONNECT registry.npmjs.org:443 HTTP/1.1',
    ])
  })

  it('frames the agent forges on codex-mux’s stdout reach only the tunnel’s own sockets, and junk ends it', async () => {
    const forge = (frame: string): Promise<{ exitCode: number; stdout: string; stderr: string }> =>
      sandbox.exec(['python3', '-c', FORGE_FRAME, frame], { timeoutMs: 30_000 })
    const before = proxy.connections() + model.connections()
    // OPEN for port 22, which the host has no socket for: answered CLOSE, nothing dialled.
    const open = await forge('open22')
    expect(open.stdout.trim(), open.stderr).toBe('forged')
    await new Promise((r) => setTimeout(r, 300))
    expect(proxy.connections() + model.connections()).toBe(before)
    const still = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3128', '1000', '1'], {
      timeoutMs: 30_000,
    })
    expect(still.stdout.trim()).toBe('1 of 1 intact')
    // A frame no codex-mux sends: the host ends the tunnel (the agent only cut its own way out).
    expect((await forge('junk')).stdout.trim()).toBe('forged')
    await new Promise((r) => setTimeout(r, 300))
    expect((await probe(sandbox, bridgePeer)).relayPort).toMatch(/^ConnectionRefusedError/)
    expect(await sandbox.startRelay()).toEqual({ ports: [3128, 3129] })
  })

  it('the agent can kill codex-mux: that only cuts its own way out; it can be started again', async () => {
    const kill = await sh(
      sandbox,
      'pkill -f "^python3 /usr/local/bin/codex-mux"; sleep 0.3; pgrep -f "^python3 /usr/local/bin/codex-mux"',
    )
    expect(kill.exitCode).toBe(1)
    expect((await probe(sandbox, bridgePeer)).relayPort).toMatch(/^ConnectionRefusedError/)
    expect(await sandbox.startRelay()).toEqual({ ports: [3128, 3129] })
    const again = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3128', '1000', '1'], {
      timeoutMs: 30_000,
    })
    expect(again.stdout.trim()).toBe('1 of 1 intact')
  })

  it('says what is missing when the socket directory has no proxy.sock', async () => {
    const empty = await netDir()
    const bare = await newSandbox({ network: { kind: 'proxied', netDir: empty, transport: 'exec' } })
    try {
      const err = await appErrorOf(bare.startRelay({ timeoutMs: 3000 }))
      expect(err.kind).toBe('container_failed')
      expect(err.message).toMatch(/nothing to carry: no proxy\.sock or model\.sock/)
    } finally {
      await bare.remove()
    }
  })
})
