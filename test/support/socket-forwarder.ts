import { mkdir, rm } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'

/** The engine's real socket, which the forwarders pass traffic to. */
export const REAL_DOCKER_SOCKET = '/var/run/docker.sock'

export interface SocketForwarder {
  path: string
  /** Connections accepted so far. */
  readonly connections: number
  close(): Promise<void>
}

/**
 * A unix socket at `path` that passes every connection on to the real Docker socket: an engine that
 * "listens" at a temp path (a Colima or Docker Desktop socket under a temp HOME). `delayMs` holds each
 * connection that long before passing it on — an engine waking up from Docker Desktop's Resource Saver.
 */
export async function startSocketForwarder(
  path: string,
  opts: { delayMs?: number; target?: string } = {},
): Promise<SocketForwarder> {
  await mkdir(dirname(path), { recursive: true })
  await rm(path, { force: true })
  const open = new Set<Socket>()
  let connections = 0
  const server: Server = createServer((client) => {
    connections++
    open.add(client)
    client.pause()
    const connect = (): void => {
      const upstream = createConnection(opts.target ?? REAL_DOCKER_SOCKET)
      open.add(upstream)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
    }
    const timer = setTimeout(connect, opts.delayMs ?? 0)
    client.on('close', () => {
      clearTimeout(timer)
      open.delete(client)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  return {
    path,
    get connections() {
      return connections
    },
    close: async () => {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(path, { force: true })
    },
  }
}
