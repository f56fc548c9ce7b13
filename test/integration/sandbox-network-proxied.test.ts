/**
 * The sandbox in `proxied` mode: loopback only, and a relay (codex-relay) to the host's unix sockets, here
 * fake servers that forward nothing. Shared setup: sandbox-network-setup.ts.
 */
import { chmod } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { appErrorOf } from '../support/files'
import { bridgePeer, eventsDuring, FAILED, probe, usePeers } from './sandbox-network-peers'
import { newSandbox, scratch, sh, useDocker } from './sandbox-network-setup'

useDocker()
usePeers()

/**
 * A fake host-side server on a unix socket: `ECHO\n` first → echoes every byte back (half-closes when the
 * client does); an HTTP request or CONNECT → records its request line and answers 403 (it forwards
 * nothing anywhere).
 */
async function fakeServer(
  path: string,
): Promise<{ lines: string[]; connections: () => number; close: () => Promise<void> }> {
  const lines: string[] = []
  let connections = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((sock) => {
    connections++
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => undefined)
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      if (head.length >= 5 && head.subarray(0, 5).toString() === 'ECHO\n') {
        sock.off('data', onData)
        sock.write(head.subarray(5))
        sock.pipe(sock)
        return
      }
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      sock.off('data', onData)
      lines.push(head.subarray(0, head.indexOf('\r\n')).toString())
      const body = 'blocked by the test proxy\n'
      sock.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    sock.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  // The sandbox user (another uid) connects: a socket needs write permission to be connected to.
  await chmod(path, 0o666)
  return {
    lines,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A socket directory: the sandbox user (another uid) must be able to enter it. */
const netDir = (): Promise<string> => scratch('codex-net-', 0o755)

const ECHO_CLIENT = `
import hashlib, os, socket, sys, threading
port, size, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def one(results, i):
    data = b'ECHO\\n' + os.urandom(size)
    s = socket.create_connection(('127.0.0.1', port), timeout=30)
    got = bytearray()
    def rd():
        while True:
            d = s.recv(1 << 20)
            if not d: break
            got.extend(d)
    t = threading.Thread(target=rd); t.start()
    s.sendall(data); s.shutdown(socket.SHUT_WR); t.join(); s.close()
    results[i] = hashlib.sha256(bytes(got)).hexdigest() == hashlib.sha256(data[5:]).hexdigest() and len(got) == size
results = [False] * n
threads = [threading.Thread(target=one, args=(results, i)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(results), 'of', n, 'intact')
`

describe('proxied: loopback only, a relay to the host’s sockets', () => {
  let sandbox: Sandbox
  let dir: string
  let proxy: Awaited<ReturnType<typeof fakeServer>>
  let model: Awaited<ReturnType<typeof fakeServer>>

  beforeAll(async () => {
    dir = await netDir()
    proxy = await fakeServer(join(dir, 'proxy.sock'))
    model = await fakeServer(join(dir, 'model.sock'))
    sandbox = await newSandbox({ network: { kind: 'proxied', netDir: dir } })
    const started = Date.now()
    expect(await sandbox.startRelay({ require: ['proxy', 'model'] })).toEqual({ ports: [3128, 3129] })
    expect(Date.now() - started).toBeLessThan(5000)
  })
  afterAll(async () => {
    await sandbox?.remove()
    await proxy?.close()
    await model?.close()
  })

  it('readiness checks never reach the host', () => {
    expect(proxy.connections()).toBe(0)
    expect(model.connections()).toBe(0)
  })

  it('carries bytes both ways, intact, on many connections at once, with half-close', async () => {
    const one = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3128', String(8 << 20), '1'], {
      timeoutMs: 60_000,
    })
    expect(one.stdout.trim(), one.stderr).toBe('1 of 1 intact')
    const many = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3128', String(256 << 10), '24'], {
      timeoutMs: 60_000,
    })
    expect(many.stdout.trim(), many.stderr).toBe('24 of 24 intact')
    const toModel = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3129', '100000', '2'], {
      timeoutMs: 60_000,
    })
    expect(toModel.stdout.trim(), toModel.stderr).toBe('2 of 2 intact')
  })

  it('sets HTTP(S)_PROXY and NO_PROXY, and ordinary clients use them: curl, Python, npm, pip, git', async () => {
    const env = await sh(sandbox, 'env | grep -i _proxy= | sort')
    expect(env.stdout).toContain('HTTP_PROXY=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('HTTPS_PROXY=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('http_proxy=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('https_proxy=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('NO_PROXY=localhost,127.0.0.1,::1\n')
    proxy.lines.length = 0
    const http = await sh(sandbox, 'curl -sS http://deb.debian.org/debian/')
    expect(http.stdout).toBe('blocked by the test proxy\n')
    const https = await sh(sandbox, 'curl -sS -o /dev/null https://registry.npmjs.org/is-number')
    expect(https.exitCode).not.toBe(0)
    expect(https.stderr).toMatch(/403/)
    await sh(
      sandbox,
      'python3 -c "import urllib.request; urllib.request.urlopen(\'http://deb.debian.org/x\')"',
    )
    await sh(sandbox, 'cd /tmp && npm view is-number version --fetch-retries=0', 120_000)
    await sh(
      sandbox,
      'python3 -m pip download --no-deps --retries 0 -d /tmp/p --index-url https://deb.debian.org/simple/ nothing',
    )
    await sh(sandbox, 'git ls-remote https://deb.debian.org/debian/ 2>&1')
    expect(proxy.lines).toContain('GET http://deb.debian.org/debian/ HTTP/1.1')
    expect(proxy.lines).toContain('CONNECT registry.npmjs.org:443 HTTP/1.1')
    expect(proxy.lines).toContain('GET http://deb.debian.org/x HTTP/1.1')
    const connects = proxy.lines.filter((l) => l.startsWith('CONNECT '))
    // curl and npm to the npm registry; pip and git to deb.debian.org.
    expect(
      connects.filter((l) => l.startsWith('CONNECT registry.npmjs.org:443')).length,
    ).toBeGreaterThanOrEqual(2)
    expect(connects.filter((l) => l.startsWith('CONNECT deb.debian.org:443')).length).toBeGreaterThanOrEqual(
      2,
    )
  })

  it('keeps loopback direct (NO_PROXY): the model port gets origin-form requests', async () => {
    model.lines.length = 0
    const r = await sh(sandbox, 'curl -sS http://127.0.0.1:3129/v1/models')
    expect(r.stdout).toBe('blocked by the test proxy\n')
    expect(model.lines).toEqual(['GET /v1/models HTTP/1.1'])
  })

  it('still has only lo, no DNS, no route to a container; /run/codex-net is read-only', async () => {
    const { value, bridge } = await eventsDuring(async () => ({
      nets: await sh(sandbox, 'ls /sys/class/net; tail -n +2 /proc/net/route'),
      getent: await sh(sandbox, 'getent hosts deb.debian.org'),
      probes: await probe(sandbox, bridgePeer),
      ro: await sh(sandbox, 'touch /run/codex-net/x; ls -A /run/codex-net'),
    }))
    expect(value.nets.stdout).toBe('lo\n')
    expect(value.getent.exitCode).not.toBe(0)
    expect(value.probes.dns).toMatch(FAILED)
    expect(value.probes.tcp4).toMatch(/Network is unreachable/)
    expect(value.probes.udp).toMatch(/Network is unreachable/)
    expect(value.probes.rawIcmp).toMatch(/^PermissionError/)
    expect(value.probes.relayPort).toMatch(/^connected/) // the relay: the only way out
    expect(value.ro.stderr).toMatch(/Read-only file system/)
    expect(value.ro.stdout).toBe('model.sock\nproxy.sock\n')
    expect(bridge).toEqual([])
  })

  it('the agent can kill the relay (same uid): that only cuts its own way out; it can be started again', async () => {
    expect(
      (
        await sh(
          sandbox,
          'pkill -f "^python3 /usr/local/bin/codex-relay"; sleep 0.2; pgrep -f "^python3 /usr/local/bin/codex-relay"',
        )
      ).exitCode,
    ).toBe(1)
    const cut = await probe(sandbox, bridgePeer)
    expect(cut.relayPort).toMatch(/^ConnectionRefusedError/)
    expect(await sandbox.startRelay()).toEqual({ ports: [3128, 3129] })
    const again = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3128', '1000', '1'], {
      timeoutMs: 30_000,
    })
    expect(again.stdout.trim()).toBe('1 of 1 intact')
  })

  it('a second startRelay while one runs fails clearly', async () => {
    const err = await appErrorOf(sandbox.startRelay())
    expect(err.kind).toBe('container_failed')
    expect(err.message).toMatch(/Address already in use/)
  })

  it('says what is missing when the socket directory has no proxy.sock', async () => {
    const empty = await netDir()
    const bare = await newSandbox({ network: { kind: 'proxied', netDir: empty } })
    try {
      const err = await appErrorOf(bare.startRelay({ timeoutMs: 3000 }))
      expect(err.kind).toBe('container_failed')
      expect(err.message).toMatch(
        /nothing to relay: no socket \(proxy\.sock, model\.sock\) in \/run\/codex-net/,
      )
      // A model socket alone is relayed, but proxy.sock is required by default.
      const onlyModel = await fakeServer(join(empty, 'model.sock'))
      try {
        const err2 = await appErrorOf(bare.startRelay({ timeoutMs: 3000 }))
        expect(err2.message).toMatch(/no proxy\.sock to carry/)
      } finally {
        await onlyModel.close()
      }
    } finally {
      await bare.remove()
    }
  })

  it('refuses a socket directory that does not exist', async () => {
    const err = await appErrorOf(
      newSandbox({ network: { kind: 'proxied', netDir: '/nonexistent/codex-net' } }),
    )
    expect(err.kind).toBe('container_failed')
    expect(err.message).toMatch(/socket directory/)
  })
})
