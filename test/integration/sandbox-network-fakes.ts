/**
 * Fakes of the host side of a proxied sandbox, for the relay's tests (socket and exec transports): a
 * server on a unix socket standing in for the policy/model proxy, and an echo client to run inside.
 */
import { chmod } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { expect } from 'vitest'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { scratch } from './sandbox-network-setup'

/**
 * A fake host-side server on a unix socket: `ECHO\n` first → echoes every byte back (half-closes when the
 * client does); an HTTP request or CONNECT → records its request line and answers 403 (it forwards
 * nothing anywhere).
 */
export async function fakeServer(
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
export const netDir = (): Promise<string> => scratch('codex-net-', 0o755)

export const ECHO_CLIENT = `
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

/**
 * Echoes through the sandbox's relay ports, checked byte for byte: 8 MiB on one connection, 256 KiB on 24
 * at once, and two to the model port — each half-closed by the client once it has sent everything.
 */
export async function expectEchoesIntact(sandbox: Sandbox): Promise<void> {
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
}
