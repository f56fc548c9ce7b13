import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { engineSocketPath } from './docker'

export interface HalfCloseProxy {
  socketPath: string
  /** Connections made through the proxy so far. */
  connections(): number
  /** Half-closes (FIN) of a client that were swallowed instead of reaching the engine. */
  swallowed(): number
  close(): Promise<void>
}

/**
 * A unix-socket proxy in front of the real engine that behaves like Docker Desktop's named pipe on
 * Windows, where Node cannot half-close a stream (dockerode#534, docker-modem#83): the client's FIN is
 * swallowed — never forwarded — and the engine side stays open until the engine closes it (then the
 * client is ended too). Bytes pass unchanged both ways. Point `new Docker({ socketPath })` at it.
 */
export async function startHalfCloseProxy(dir: string): Promise<HalfCloseProxy> {
  const socketPath = join(dir, 'no-half-close.sock')
  const target = engineSocketPath()
  const sockets = new Set<Socket>()
  let connections = 0
  let swallowed = 0
  const server = createServer({ allowHalfOpen: true }, (client) => {
    connections++
    const engine = connect({ path: target, allowHalfOpen: true })
    sockets.add(client).add(engine)
    client.on('data', (chunk: Buffer) => engine.write(chunk))
    engine.on('data', (chunk: Buffer) => client.write(chunk))
    // The point of the proxy: the client's end of input goes nowhere.
    client.on('end', () => swallowed++)
    // The engine closing is passed on (after what it sent); the client going away closes the engine side.
    engine.on('end', () => client.end()).on('close', () => client.end())
    const drop = (): void => {
      sockets.delete(client)
      sockets.delete(engine)
      client.destroy()
      engine.destroy()
    }
    client.on('error', drop).on('close', drop)
    engine.on('error', drop)
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    socketPath,
    connections: () => connections,
    swallowed: () => swallowed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      }),
  }
}
