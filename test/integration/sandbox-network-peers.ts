/**
 * Peers for the sandbox network tests: containers running a listener (TCP 8080 on IPv4 and IPv6, UDP 8081),
 * which log every connection and datagram they get. One on Docker's default bridge (and a test IPv6
 * network), one on codex-sys-full. And the probes a sandbox aims at them.
 */
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { afterAll, beforeAll, expect } from 'vitest'
import { TASK_LABEL } from '../../src/main/docker/container-spec'
import { ensureFullNetwork, FULL_NETWORK } from '../../src/main/docker/networks'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { testImage } from '../support/docker'
import { docker, rand } from './sandbox-network-setup'

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

export interface Peer {
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

export async function probe(sandbox: Sandbox, peer: Peer, name = 'deb.debian.org'): Promise<ProbeResults> {
  const r = await sandbox.exec(['python3', '-c', PROBES, peer.ipv4, peer.ipv6 ?? '', name], {
    timeoutMs: 60_000,
  })
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as ProbeResults
}

export const FAILED =
  /^(OSError|ConnectionRefusedError|TimeoutError|PermissionError|gaierror|socket\.gaierror)/

export let bridgePeer: Peer
export let fullPeer: Peer
let v6Network: string

/** Registers the file's hooks (after `useDocker`): both peers and the IPv6 network, started and checked. */
export function usePeers(): void {
  beforeAll(async () => {
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
}

export async function eventsDuring<T>(
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
