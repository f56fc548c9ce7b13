import { Agent, type ClientRequestArgs } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2'

/**
 * HTTP to a Docker engine over SSH, the way `docker -H ssh://…` talks: each HTTP connection is a channel
 * running `docker system dial-stdio` on the remote host. Unlike docker-modem's own ssh transport, which
 * opens a new SSH connection (handshake, key exchange, authentication) for every request — ~250 ms a
 * request here against ~5 ms over TLS — this agent keeps SSH connections open and their channels alive
 * between requests. A connection carries at most CHANNELS_PER_CONNECTION channels (OpenSSH's MaxSessions
 * is 10 by default), more connections are opened as needed, and one closes with its last channel.
 */

const DIAL = 'docker system dial-stdio'
const CHANNELS_PER_CONNECTION = 8
/** A kept-alive channel nobody reuses for this long is closed; a connection without channels closes. */
const FREE_CHANNEL_MS = 5_000
const MAX_FREE_CHANNELS = 4

interface PooledConnection {
  ready: Promise<Client>
  /** The TCP socket under it: ref'd only while a request uses one of its channels. */
  socket: Socket
  channels: number
  busy: number
  closed: boolean
}

interface ChannelState {
  connection: PooledConnection
  busy: boolean
  freeTimer?: NodeJS.Timeout
}

type SocketCallback = (err: Error | null, stream: Duplex) => void

/** The socket methods http's client and agent call on a connection, which an SSH channel lacks. */
function asSocket(channel: ClientChannel): Duplex {
  const socket = channel as ClientChannel & Record<string, unknown>
  for (const name of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof socket[name] !== 'function') socket[name] = () => socket
  }
  return channel
}

export class SshDockerAgent extends Agent {
  private readonly pool = new Set<PooledConnection>()
  private readonly states = new WeakMap<Duplex, ChannelState>()

  constructor(readonly config: ConnectConfig) {
    super({ keepAlive: true, maxFreeSockets: MAX_FREE_CHANNELS })
  }

  override createConnection(_options: ClientRequestArgs, callback?: SocketCallback): undefined {
    this.openChannel().then(
      (channel) => callback?.(null, channel),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    )
    return undefined
  }

  /** Kept for the next request (a channel has no TCP keep-alive): closed if none comes soon. */
  override keepSocketAlive(socket: Duplex): boolean {
    const state = this.states.get(socket)
    if (!state) return false
    this.setBusy(state, false)
    state.freeTimer = setTimeout(() => socket.destroy(), FREE_CHANNEL_MS)
    state.freeTimer.unref()
    return true
  }

  override reuseSocket(socket: Duplex): void {
    const state = this.states.get(socket)
    if (!state) return
    clearTimeout(state.freeTimer)
    this.setBusy(state, true)
  }

  /** Closes every SSH connection (and so every channel). */
  override destroy(): void {
    super.destroy()
    for (const connection of this.pool) this.close(connection)
  }

  private async openChannel(): Promise<Duplex> {
    const connection = this.connectionWithRoom()
    connection.channels++
    const state: ChannelState = { connection, busy: false }
    this.setBusy(state, true)
    try {
      const client = await connection.ready
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        client.exec(DIAL, (err, stream) => (err ? reject(err) : resolve(stream))),
      )
      this.watchChannel(state, channel)
      this.states.set(channel, state)
      return asSocket(channel)
    } catch (err) {
      this.channelClosed(state)
      throw err
    }
  }

  private connectionWithRoom(): PooledConnection {
    for (const connection of this.pool) {
      if (!connection.closed && connection.channels < CHANNELS_PER_CONNECTION) return connection
    }
    const socket = connect({ host: this.config.host, port: this.config.port ?? 22 })
    const connection: PooledConnection = {
      socket,
      ready: this.handshake(socket, () => this.close(connection)),
      channels: 0,
      busy: 0,
      closed: false,
    }
    this.pool.add(connection)
    return connection
  }

  private handshake(socket: Socket, onGone: () => void): Promise<Client> {
    return new Promise((resolve, reject) => {
      const client = new Client()
      client.on('ready', () => resolve(client))
      client.on('error', (err) => {
        onGone()
        reject(err)
      })
      client.on('close', onGone)
      client.connect({ ...this.config, sock: socket })
    })
  }

  /** A dial-stdio that fails on the remote host (no docker CLI, no engine) ends its channel with its stderr. */
  private watchChannel(state: ChannelState, channel: ClientChannel): void {
    let stderr = ''
    channel.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)))
    channel.on('exit', (code: number | null) => {
      if (!code || channel.listenerCount('error') === 0) return
      channel.emit(
        'error',
        new Error(`\`${DIAL}\` failed on the SSH host: ${stderr.trim() || `exit ${code}`}`),
      )
    })
    channel.once('close', () => {
      clearTimeout(state.freeTimer)
      this.channelClosed(state)
    })
  }

  /** A request holds the connection's TCP socket ref'd; free channels alone do not keep the process alive. */
  private setBusy(state: ChannelState, busy: boolean): void {
    if (state.busy === busy) return
    state.busy = busy
    const connection = state.connection
    connection.busy += busy ? 1 : -1
    if (connection.busy > 0) connection.socket.ref()
    else connection.socket.unref()
  }

  private channelClosed(state: ChannelState): void {
    this.setBusy(state, false)
    const connection = state.connection
    connection.channels = Math.max(0, connection.channels - 1)
    if (connection.channels === 0) this.close(connection)
  }

  private close(connection: PooledConnection): void {
    this.pool.delete(connection)
    if (connection.closed) return
    connection.closed = true
    connection.ready.then(
      (client) => client.end(),
      () => connection.socket.destroy(),
    )
  }
}
