/**
 * The sandbox's network modes against real Docker (see container-spec.ts, networks.ts, codex-relay):
 * `none` (off), `proxied` (registries/custom: loopback only, a relay to host unix sockets) and `full` (the
 * codex-sys-full bridge). Real probes aim only at 127.0.0.1, at containers this file starts, or at the
 * package registries' names (deb.debian.org, registry.npmjs.org); in proxied mode those names go no
 * further than this file's fake proxy on the host.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TASK_LABEL } from '../../src/main/docker/container-spec'
import { ensureAgentImage, hostCaFile } from '../../src/main/docker/image'
import { ensureFullNetwork, FULL_NETWORK, NETWORK_LABEL } from '../../src/main/docker/networks'
import { giveWorkspaceTo, Sandbox, sandboxUser, type SandboxSpec } from '../../src/main/docker/sandbox'
import { collectCaBundle, parseCertificates, writeCaBundle } from '../../src/main/network/ca-bundle'
import { appErrorOf } from '../support/files'
import { requireDocker, testBaseImage, testImage } from '../support/docker'

const rand = (): string => randomBytes(4).toString('hex')
const RELEASE = 'https://deb.debian.org/debian/dists/bookworm/Release'

let docker: Docker

/** Temporary directories of this file (hooks included), removed at its end. */
const dirs: string[] = []
async function scratch(prefix: string, mode = 0o700): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(dir)
  await chmod(dir, mode)
  return dir
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function newSandbox(over: Partial<SandboxSpec> = {}): Promise<Sandbox> {
  const workspace = await scratch('codex-sandbox-net-')
  await giveWorkspaceTo(workspace, sandboxUser())
  return Sandbox.create(docker, {
    taskId: `test-net-${rand()}`,
    image: testImage(),
    workspace,
    memoryMb: 512,
    cpus: 1,
    pidsLimit: 256,
    tmpfsMb: 256,
    network: { kind: 'none' },
    ...over,
  })
}

const sh = (sandbox: Sandbox, script: string, timeoutMs = 60_000) =>
  sandbox.exec(['sh', '-c', script], { timeoutMs })

// ---------------------------------------------------------------------------------------------------
// Peers: containers of this file running a listener (TCP 8080 on IPv4 and IPv6, UDP 8081), which log
// every connection and datagram they get. One on Docker's default bridge (and a test IPv6 network),
// one on codex-sys-full.

const LISTENER = `
import socket, threading
def log(*a): print(*a, flush=True)
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 8080)); s.listen(16)
    while True:
        c, a = s.accept(); log('tcp', a[0]); c.sendall(b'peer\\n'); c.close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 8081))
    while True:
        d, a = s.recvfrom(2048); log('udp', a[0], d.decode(errors='replace'))
threads = [threading.Thread(target=tcp, args=(socket.AF_INET, '0.0.0.0')), threading.Thread(target=udp)]
try:
    socket.socket(socket.AF_INET6).close(); threads.append(threading.Thread(target=tcp, args=(socket.AF_INET6, '::')))
except OSError: pass
for t in threads: t.daemon = True; t.start()
log('listening')
threading.Event().wait()
`

interface Peer {
  id: string
  ipv4: string
  ipv6?: string
  /** Its log lines so far (`tcp ADDR`, `udp ADDR DATA`). */
  events: () => Promise<string[]>
}

async function logsOf(id: string): Promise<string> {
  const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true })) as Buffer
  // Docker's multiplexed log stream: 8-byte frame headers, then the payload.
  let out = ''
  for (let i = 0; i + 8 <= raw.length;) {
    const len = raw.readUInt32BE(i + 4)
    out += raw.subarray(i + 8, i + 8 + len).toString('utf8')
    i += 8 + len
  }
  return out
}

async function startPeer(network: string, also?: string): Promise<Peer> {
  const container = await docker.createContainer({
    Image: testImage(),
    Cmd: ['python3', '-c', LISTENER],
    User: '10001:10001',
    Labels: { [TASK_LABEL]: `test-net-peer-${rand()}` },
    HostConfig: { NetworkMode: network, CapDrop: ['ALL'], AutoRemove: false },
  })
  if (also) await docker.getNetwork(also).connect({ Container: container.id })
  await container.start()
  for (let i = 0; !(await logsOf(container.id)).includes('listening'); i++) {
    if (i > 100) throw new Error(`peer on ${network} did not start: ${await logsOf(container.id)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const info = await container.inspect()
  const nets = info.NetworkSettings.Networks
  return {
    id: container.id,
    ipv4: nets[network]!.IPAddress,
    ipv6: also ? nets[also]!.GlobalIPv6Address || undefined : undefined,
    events: async () =>
      (await logsOf(container.id)).split('\n').filter((l) => l.startsWith('tcp ') || l.startsWith('udp ')),
  }
}

/** From the host (the peers' own sanity check): a TCP connect reads the peer's greeting. */
function hostConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, timeout: 5000 })
    let data = ''
    sock.on('data', (d: Buffer) => (data += d.toString()))
    sock.on('end', () => resolve(data))
    sock.on('timeout', () => sock.destroy(new Error(`timeout connecting to ${host}:${port}`)))
    sock.on('error', reject)
  })
}

function hostUdp(host: string, port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    s.send(text, port, host, (err) => {
      s.close()
      if (err) reject(err)
      else resolve()
    })
  })
}

/**
 * Every probe of one target from inside, as JSON: TCP (IPv4, IPv6), UDP, raw ICMP (needs CAP_NET_RAW),
 * an ICMP echo over a ping socket, a DNS lookup, and loopback 3128 (the relay's port).
 */
const PROBES = `
import json, socket, sys, time
peer4, peer6, name = sys.argv[1], sys.argv[2], sys.argv[3]
def err(e): return type(e).__name__ + ': ' + (e.strerror or str(e) if isinstance(e, OSError) else str(e))
def tcp(host, port, fam=socket.AF_INET, greeting=True):
    if not host: return 'no address'
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3)
    try: s.connect((host, port)); return 'connected' + (': ' + s.recv(16).decode() if greeting else '')
    except Exception as e: return err(e)
    finally: s.close()
def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try: s.sendto(b'from-sandbox', (host, port)); return 'sent'
    except Exception as e: return err(e)
    finally: s.close()
def raw_icmp():
    try: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close(); return 'opened'
    except Exception as e: return err(e)
def ping(host):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); s.settimeout(3)
        s.sendto(b'\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x01codex-probe', (host, 0))
        data, addr = s.recvfrom(1024); return 'reply from ' + addr[0]
    except Exception as e: return err(e)
def dns(n):
    try: return 'resolved: ' + ','.join(sorted({a[4][0] for a in socket.getaddrinfo(n, 443)}))
    except Exception as e: return err(e)
print(json.dumps({
    'tcp4': tcp(peer4, 8080), 'tcp6': tcp(peer6, 8080, socket.AF_INET6), 'udp': udp(peer4, 8081),
    'rawIcmp': raw_icmp(), 'ping': ping(peer4), 'dns': dns(name), 'relayPort': tcp('127.0.0.1', 3128, greeting=False),
}))
`

interface ProbeResults {
  tcp4: string
  tcp6: string
  udp: string
  rawIcmp: string
  ping: string
  dns: string
  relayPort: string
}

async function probe(sandbox: Sandbox, peer: Peer, name = 'deb.debian.org'): Promise<ProbeResults> {
  const r = await sandbox.exec(['python3', '-c', PROBES, peer.ipv4, peer.ipv6 ?? '', name], {
    timeoutMs: 60_000,
  })
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as ProbeResults
}

const FAILED = /^(OSError|ConnectionRefusedError|TimeoutError|PermissionError|gaierror|socket\.gaierror)/

let bridgePeer: Peer
let fullPeer: Peer
let v6Network: string

beforeAll(async () => {
  docker = await requireDocker()
  v6Network = `codex-sys-test-v6-${rand()}`
  const hex = randomBytes(2).toString('hex')
  await docker.createNetwork({
    Name: v6Network,
    Driver: 'bridge',
    EnableIPv6: true,
    IPAM: { Config: [{ Subnet: `fd00:c0de:${hex}::/64` }] },
    Labels: { 'codex-sys.test': 'true' },
  })
  await ensureFullNetwork(docker)
  bridgePeer = await startPeer('bridge', v6Network)
  fullPeer = await startPeer(FULL_NETWORK)
  // The peers answer from the host, so every failure below is the sandbox's, not a dead target.
  expect(await hostConnect(bridgePeer.ipv4, 8080)).toBe('peer\n')
  expect(bridgePeer.ipv6).toMatch(/^fd00:c0de:/)
  expect(await hostConnect(bridgePeer.ipv6!, 8080)).toBe('peer\n')
  expect(await hostConnect(fullPeer.ipv4, 8080)).toBe('peer\n')
  await hostUdp(bridgePeer.ipv4, 8081, 'from-host')
  await hostUdp(fullPeer.ipv4, 8081, 'from-host')
  for (let i = 0; i < 50 && (await bridgePeer.events()).length < 3; i++)
    await new Promise((r) => setTimeout(r, 50))
  expect((await bridgePeer.events()).filter((l) => l.startsWith('udp ')).length).toBe(1)
})

afterAll(async () => {
  for (const peer of [bridgePeer, fullPeer]) {
    if (peer) await docker.getContainer(peer.id).remove({ force: true })
  }
  if (v6Network) await docker.getNetwork(v6Network).remove()
})

async function eventsDuring<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; bridge: string[]; full: string[] }> {
  const before = [(await bridgePeer.events()).length, (await fullPeer.events()).length]
  const value = await fn()
  await new Promise((r) => setTimeout(r, 300))
  return {
    value,
    bridge: (await bridgePeer.events()).slice(before[0]),
    full: (await fullPeer.events()).slice(before[1]),
  }
}

// ---------------------------------------------------------------------------------------------------

describe('off (network none): nothing leaves', () => {
  let sandbox: Sandbox
  const otherTaskSecret = `codex-placeholder-${rand()}${rand()}`
  let otherNetDir: string

  beforeAll(async () => {
    // Another task's socket directory, holding a credential: nothing of it may show up here.
    otherNetDir = await scratch('codex-net-other-', 0o755)
    await writeFile(join(otherNetDir, 'credential'), otherTaskSecret)
    sandbox = await newSandbox()
  })
  afterAll(async () => {
    await sandbox?.remove()
  })

  it('fails at least 10 probes: DNS, HTTPS and HTTP by name, TCP/UDP/ICMP/IPv6 to a container, the relay port', async () => {
    const { value: shell, bridge } = await eventsDuring(async () => ({
      getent: await sh(sandbox, 'getent hosts deb.debian.org'),
      https: await sh(sandbox, `curl -sS -m 10 -o /dev/null ${RELEASE}`),
      http: await sh(sandbox, 'curl -sS -m 10 -o /dev/null http://deb.debian.org/debian/'),
      probes: await probe(sandbox, bridgePeer),
    }))
    expect(shell.getent.exitCode).not.toBe(0) // 1: DNS lookup
    expect(shell.https.exitCode).toBe(6) // 2: could not resolve host
    expect(shell.https.stderr).toMatch(/Could not resolve host: deb\.debian\.org/)
    expect(shell.http.exitCode).toBe(6) // 3
    const p = shell.probes
    expect(p.dns).toMatch(FAILED) // 4
    expect(p.tcp4).toMatch(/Network is unreachable/) // 5: TCP to the peer's address
    expect(p.tcp6).toMatch(FAILED) // 6: IPv6 to the peer
    expect(p.tcp6).not.toMatch(/connected/)
    expect(p.udp).toMatch(/Network is unreachable/) // 7: UDP to the peer
    expect(p.rawIcmp).toMatch(/^PermissionError/) // 8: raw ICMP: no CAP_NET_RAW
    expect(p.ping).toMatch(FAILED) // 9: ICMP echo over a ping socket
    expect(p.relayPort).toMatch(/^ConnectionRefusedError/) // 10: no relay, no proxy
    expect(bridge).toEqual([]) // and the peer saw nothing at all
  })

  it('has only lo: no route, no IPv6 address, nothing in /run/codex-net', async () => {
    const r = await sh(
      sandbox,
      'ls /sys/class/net; echo ---; tail -n +2 /proc/net/route; echo ---; cat /proc/net/if_inet6; echo ---; ls -A /run/codex-net',
    )
    expect(r.stdout).toBe('lo\n---\n---\n---\n')
  })

  it('holds no proxy setting, no CA variable and no credential of another task in env or files', async () => {
    const env = await sh(sandbox, 'env; tr "\\0" "\\n" < /proc/1/environ')
    expect(env.stdout).not.toMatch(/proxy|SSL_CERT|CAFILE|CA_BUNDLE/i)
    const info = await docker.getContainer(sandbox.id).inspect()
    expect(info.Config.Env.map((e) => e.split('=')[0]).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TERM'])
    expect(JSON.stringify(info.Mounts)).not.toContain(otherNetDir)
    const grep = await sandbox.exec(
      ['grep', '-rIFls', '-e', otherTaskSecret, '/run', '/etc', '/tmp', '/home', '/workspace'],
      { timeoutMs: 60_000 },
    )
    expect(grep.stdout).toBe('')
    expect([1, 2]).toContain(grep.exitCode)
    expect(env.stdout).not.toContain(otherTaskSecret)
  })

  it('has no relay to start', async () => {
    const err = await appErrorOf(sandbox.startRelay())
    expect(err.kind).toBe('invalid_input')
  })
})

// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------

describe('full: its own bridge, no neighbours, the host’s trust', () => {
  let sandbox: Sandbox
  let bundlePath: string
  let rootsOnlyPath: string
  let bundle: Awaited<ReturnType<typeof collectCaBundle>>

  beforeAll(async () => {
    const dir = await scratch('codex-ca-')
    bundle = await collectCaBundle()
    bundlePath = join(dir, 'ca-bundle.pem')
    await writeCaBundle(bundlePath, bundle.pem)
    rootsOnlyPath = join(dir, 'roots-only.pem')
    await writeCaBundle(rootsOnlyPath, rootCertificates.join('\n'))
    sandbox = await newSandbox({ network: { kind: 'full' }, caBundle: bundlePath })
  })
  afterAll(async () => {
    await sandbox?.remove()
  })

  it('joins codex-sys-full only (not bridge): labelled, inter-container traffic off, no IPv6', async () => {
    const info = await docker.getContainer(sandbox.id).inspect()
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([FULL_NETWORK])
    expect(info.HostConfig.NetworkMode).toBe(FULL_NETWORK)
    const net = (await docker.getNetwork(FULL_NETWORK).inspect()) as {
      Driver: string
      EnableIPv6: boolean
      Options: Record<string, string>
      Labels: Record<string, string>
    }
    expect(net.Driver).toBe('bridge')
    expect(net.EnableIPv6).toBe(false)
    expect(net.Options['com.docker.network.bridge.enable_icc']).toBe('false')
    expect(net.Labels[NETWORK_LABEL]).toBe('full')
    const v6 = await sh(sandbox, 'grep -v " lo$" /proc/net/if_inet6; ls /sys/class/net')
    expect(v6.stdout).toBe('eth0\nlo\n')
  })

  it('cannot reach another container, on codex-sys-full or on the default bridge, by TCP, UDP or ICMP', async () => {
    const { value, bridge, full } = await eventsDuring(async () => ({
      toFull: await probe(sandbox, fullPeer),
      toBridge: await probe(sandbox, bridgePeer),
    }))
    for (const p of [value.toFull, value.toBridge]) {
      expect(p.tcp4).toMatch(FAILED)
      expect(p.tcp4).not.toMatch(/connected/)
      expect(p.ping).toMatch(FAILED)
      expect(p.rawIcmp).toMatch(/^PermissionError/)
      expect(p.relayPort).toMatch(/^ConnectionRefusedError/)
    }
    expect(value.toBridge.tcp6).toMatch(FAILED)
    expect(value.toFull.tcp6).toBe('no address')
    expect(bridge).toEqual([])
    expect(full).toEqual([])
  })

  it('resolves deb.debian.org and, with the host’s bundle, fetches over HTTPS: curl, Python, Node, npm, pip, git', async () => {
    const p = await probe(sandbox, fullPeer)
    expect(p.dns).toMatch(/^resolved: /)
    const curl = await sh(sandbox, `curl -sSf ${RELEASE} -o /dev/null`)
    expect(curl.exitCode, curl.stderr).toBe(0)
    const py = await sh(
      sandbox,
      `python3 -c "import urllib.request; print(urllib.request.urlopen('${RELEASE}').status)"`,
    )
    expect(py.stdout.trim(), py.stderr).toBe('200')
    const node = await sh(
      sandbox,
      `node -e "require('https').get('${RELEASE}', (r) => { console.log(r.statusCode); r.resume() }).on('error', (e) => { console.error(e.message); process.exit(1) })"`,
    )
    expect(node.stdout.trim(), node.stderr).toBe('200')
    const npm = await sh(sandbox, 'cd /tmp && npm view is-number version', 120_000)
    expect(npm.exitCode, npm.stderr).toBe(0)
    expect(npm.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    // No package index there: a 404, after a verified handshake (a certificate failure reads differently).
    const pip = await sh(
      sandbox,
      'python3 -m pip download --no-deps --retries 0 -d /tmp/p --index-url https://deb.debian.org/debian/ nothing 2>&1',
      120_000,
    )
    expect(pip.stdout).not.toMatch(/SSL|CERTIFICATE/i)
    expect(pip.stdout).toMatch(/No matching distribution|404/)
    const git = await sh(sandbox, 'git ls-remote https://deb.debian.org/debian/ 2>&1')
    expect(git.stdout).not.toMatch(/SSL|certificate/i)
  })

  it('fails with certificate errors without the host’s extra CA: the bundle is what makes it work', async () => {
    // On these machines outbound HTTPS passes a TLS-inspecting proxy whose CA only the host trusts.
    const proxyCa = parseCertificates(
      await readFile('/usr/local/share/ca-certificates/sandboxing-egress-ca.crt'),
    ).certs[0]!
    expect(bundle.extraCount).toBeGreaterThanOrEqual(1)
    expect(parseCertificates(bundle.pem).certs.some((c) => c.fingerprint256 === proxyCa.fingerprint256)).toBe(
      true,
    )
    expect(bundle.count).toBeGreaterThanOrEqual(rootCertificates.length)

    // The agent image as it is without the host's CAs (the tests' image has them in its system store).
    const image = await imageWithoutHostCa()
    const rootsOnly = await newSandbox({ image, network: { kind: 'full' }, caBundle: rootsOnlyPath })
    const none = await newSandbox({ image, network: { kind: 'full' } })
    try {
      for (const s of [rootsOnly, none]) {
        const curl = await sh(s, `curl -sSf ${RELEASE} -o /dev/null`)
        expect(curl.exitCode).toBe(60)
        expect(curl.stderr).toMatch(/SSL certificate problem/)
      }
      const npm = await sh(rootsOnly, 'cd /tmp && npm view is-number version --fetch-retries=0 2>&1', 120_000)
      expect(npm.exitCode).not.toBe(0)
      expect(npm.stdout).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|self[- ]signed certificate/i)
      const py = await sh(
        rootsOnly,
        `python3 -c "import urllib.request; urllib.request.urlopen('${RELEASE}')" 2>&1`,
      )
      expect(py.stdout).toMatch(/CERTIFICATE_VERIFY_FAILED/)
      const env = await sh(none, 'env')
      expect(env.stdout).not.toMatch(/SSL_CERT_FILE|CAFILE|CA_BUNDLE|NODE_EXTRA/)
    } finally {
      await rootsOnly.remove()
      await none.remove()
    }
  })

  it('mounts the bundle read-only, as the host wrote it', async () => {
    const r = await sh(
      sandbox,
      'sha256sum < "$SSL_CERT_FILE"; stat -c %a "$SSL_CERT_FILE"; grep " $SSL_CERT_FILE " /proc/mounts',
    )
    const [sum, mode, mount] = r.stdout.split('\n')
    expect(sum!.split(' ')[0]).toBe(createHash('sha256').update(bundle.pem).digest('hex'))
    expect(mode).toBe('644')
    expect(mount!.split(' ')[3]!.split(',')).toContain('ro')
    expect(() => new X509Certificate(parseCertificates(bundle.pem).certs[0]!.raw)).not.toThrow()
  })
})

// ---------------------------------------------------------------------------------------------------

describe('the agent image, built with the host’s bundle', () => {
  const agentImageDir = new URL('../../agent-image', import.meta.url).pathname

  async function derived(from: string): Promise<string> {
    const dir = await scratch('codex-image-')
    await writeFile(
      join(dir, 'Dockerfile'),
      `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN curl -sSf ${RELEASE} -o /dev/null\n`,
    )
    await writeFile(join(dir, 'nonce'), `${process.pid}-${Date.now()}-${Math.random()}`)
    return ensureAgentImage(docker, { contextDir: dir, baseImage: from })
  }

  it('trusts the host’s extra CAs itself, so RUN steps fetching over HTTPS work behind the proxy', async () => {
    const bundle = await collectCaBundle()
    const progress: string[] = []
    const withoutCa = await imageWithoutHostCa()
    const tag = await ensureAgentImage(docker, {
      contextDir: agentImageDir,
      baseImage: testBaseImage(),
      caBundle: bundle.pem,
      onProgress: (line) => progress.push(line),
    })
    // A new CA, a new tag; the engine (and the tests' image) build the same one.
    expect(tag).not.toBe(withoutCa)
    expect(tag).toBe(testImage())
    const extras = parseCertificates(hostCaFile(bundle.pem)).certs.length
    expect(extras).toBeGreaterThanOrEqual(1)

    const sandbox = await newSandbox({ image: tag, network: { kind: 'full' } })
    try {
      const installed = await sh(sandbox, 'ls /usr/local/share/ca-certificates/codex-host | wc -l')
      expect(Number(installed.stdout.trim())).toBe(extras)
      const curl = await sh(sandbox, `curl -sSf ${RELEASE} -o /dev/null`)
      expect(curl.exitCode, curl.stderr).toBe(0)
    } finally {
      await sandbox.remove()
    }

    // A build step fetching over HTTPS: works on this image, fails (certificate) on one without the CA.
    const ok = await derived(tag)
    await docker.getImage(ok).remove({ force: true })
    const err = await appErrorOf(derived(withoutCa))
    expect(err.kind).toBe('image_build_failed')
    expect((err.details?.lastLines as string[]).join('\n')).toMatch(/SSL certificate problem/)
  }, 600_000)
})

let withoutHostCa: Promise<string> | undefined
/** The agent image built without the host's CAs (once, then cached by its tag). */
function imageWithoutHostCa(): Promise<string> {
  const contextDir = new URL('../../agent-image', import.meta.url).pathname
  withoutHostCa ??= ensureAgentImage(docker, { contextDir, baseImage: testBaseImage() })
  return withoutHostCa
}
