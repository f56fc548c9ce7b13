/**
 * A burst of new connections through the whole proxied path, as `npm ci` makes it: 32 CONNECTs at once
 * from inside a proxied sandbox → codex-relay (127.0.0.1:3128) → proxy.sock → the real policy proxy →
 * an echo server of ours on the host's 127.0.0.1. The proxy's resolver drops every query sent while
 * another is unanswered (answered after a 5 s retry, as the one npm was slow behind did), so a lookup
 * per connection would hold most of the burst 5 s; the proxy's name cache (name-cache.ts) makes it one.
 * Shared setup: sandbox-network-setup.ts.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { PolicyProxy } from '../../src/main/network/policy-proxy'
import { resolvePolicy } from '../../src/main/network/policy'
import { burstDroppingResolver, RESOLVER_RETRY_MS } from '../unit/network/burst-resolver'
import { startEcho, type EchoTarget } from '../unit/network/proxy-helpers'
import { netDir } from './sandbox-network-fakes'
import { newSandbox, useDocker } from './sandbox-network-setup'

useDocker()

const NAME = 'registry.burst.test'
const CONNECTIONS = 32

/** CONNECTs N tunnels at once, says `hi` on each and reads to the end; prints `<intact> <slowest ms> <total ms>`. */
const BURST_CLIENT = `
import socket, sys, threading, time
target, n = sys.argv[1], int(sys.argv[2])
def one(results, i):
    start = time.monotonic()
    s = socket.create_connection(('127.0.0.1', 3128), timeout=30)
    s.sendall(('CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' % (target, target)).encode())
    head = b''
    while b'\\r\\n\\r\\n' not in head:
        d = s.recv(4096)
        if not d: break
        head += d
    rest = head.split(b'\\r\\n\\r\\n', 1)[1] if b'\\r\\n\\r\\n' in head else b''
    s.sendall(b'hi'); s.shutdown(socket.SHUT_WR)
    while True:
        d = s.recv(4096)
        if not d: break
        rest += d
    s.close()
    results[i] = (head.startswith(b'HTTP/1.1 200 ') and rest == b'hibye', time.monotonic() - start)
results = [(False, 0.0)] * n
started = time.monotonic()
threads = [threading.Thread(target=one, args=(results, i)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok for ok, _ in results), round(max(s for _, s in results) * 1000), round((time.monotonic() - started) * 1000))
`

describe('proxied: a burst of new CONNECTs through the relay and the policy proxy', () => {
  const resolver = burstDroppingResolver({ [NAME]: ['127.0.0.1'] })
  let sandbox: Sandbox
  let proxy: PolicyProxy
  let target: EchoTarget

  beforeAll(async () => {
    target = await startEcho()
    const dir = await netDir()
    proxy = await PolicyProxy.listen({
      socketPath: join(dir, 'proxy.sock'),
      phase: 'setup',
      policy: () =>
        resolvePolicy(
          { mode: 'custom', hosts: [`${NAME}:${target.port}`], readOnly: false },
          {
            registries: [],
            extraHosts: [],
          },
        ),
      onBlocked: () => undefined,
      lookup: resolver.lookup,
      trustAddress: (ip) => ip === '127.0.0.1',
      upstream: null,
    })
    sandbox = await newSandbox({ network: { kind: 'proxied', netDir: dir } })
    await sandbox.startRelay()
  })
  afterAll(async () => {
    await sandbox?.remove()
    await proxy?.close()
    await target?.close()
  })

  it(`${CONNECTIONS} at once, twice, all tunnel intact with no resolver stall; one lookup in all`, async () => {
    for (let round = 0; round < 2; round++) {
      const r = await sandbox.exec(
        ['python3', '-c', BURST_CLIENT, `${NAME}:${target.port}`, `${CONNECTIONS}`],
        {
          timeoutMs: 60_000,
        },
      )
      const [intact, slowestMs, totalMs] = r.stdout.trim().split(' ').map(Number)
      expect(intact, r.stdout + r.stderr).toBe(CONNECTIONS)
      // The bound is about a stall (the resolver's 5 s retry), not about speed.
      expect(slowestMs, `round ${round + 1}: ${r.stdout}`).toBeLessThan(RESOLVER_RETRY_MS / 2)
      expect(totalMs).toBeLessThan(RESOLVER_RETRY_MS / 2)
    }
    expect(resolver.calls).toEqual([NAME])
    expect(target.connections).toBe(2 * CONNECTIONS)
    expect(proxy.stats).toEqual({ allowed: 2 * CONNECTIONS, blocked: 0 })
  })
})
