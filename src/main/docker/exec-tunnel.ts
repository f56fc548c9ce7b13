/**
 * The host end of an exec tunnel: the proxied network for engines whose containers cannot reach a socket
 * of the host's (Docker Desktop's VM; remote engines). `codex-mux` (agent-image/codex-mux) runs in the
 * container under `docker exec`, listens on the relay's loopback ports, and carries each connection as a
 * channel over the exec's own stdin/stdout; here each channel becomes a connection to the host socket of
 * its port (proxy.sock, model.sock), exactly what the socket relay would have dialled. The container
 * keeps network `none`: its only way out is the Docker API's own stream.
 *
 * Per-channel windows (mux-frames.ts) keep one stalled client from holding up the others and bound what
 * either side buffers. The stream is never half-closed (Windows' named pipe cannot): a channel ends with
 * EOF/CLOSE frames, the tunnel by destroying the stream, which ends the exec.
 */
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { toDockerAppError } from './client'
import { startAttachedExec } from './exec'
import { createDemuxer } from './exec-output'
import { ackFrame, createFrameReader, encodeFrame, MUX_WINDOW, MuxFrame } from './mux-frames'
import type { SandboxUser } from './workspace-owner'

interface Channel {
  socket: net.Socket
  /** What we may still send the container unacknowledged. */
  credit: number
  /** Bytes written to the socket and not yet acknowledged to the container. */
  unacked: number
  closed: boolean
}

/** The host sockets the tunnel's ports lead to: port → unix socket path. */
export type TunnelRoutes = ReadonlyMap<number, string>

export class ExecTunnel {
  private readonly channels = new Map<number, Channel>()
  private closed = false
  private stderr = ''

  private constructor(
    private readonly stream: Duplex,
    private readonly routes: TunnelRoutes,
  ) {}

  /** Ports codex-mux listens on, from its READY frame. */
  ports: number[] = []

  /**
   * Starts codex-mux in the container for `routes`' ports and resolves once it listens; throws
   * container_failed (with what it said) when it does not within `timeoutMs`.
   */
  static async open(
    container: Docker.Container,
    user: SandboxUser,
    routes: TunnelRoutes,
    timeoutMs: number,
  ): Promise<ExecTunnel> {
    let stream: Duplex
    try {
      const ports = [...routes.keys()].map(String)
      stream = await startAttachedExec(container, user, ['codex-mux', ...ports], '/')
    } catch (err) {
      throw toDockerAppError(err, 'Could not start the sandbox’s network tunnel')
    }
    const tunnel = new ExecTunnel(stream, routes)
    await tunnel.ready(timeoutMs)
    return tunnel
  }

  /** Ends every channel and the exec (codex-mux exits when its stdin goes). */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const ch of this.channels.values()) ch.socket.destroy()
    this.channels.clear()
    this.stream.destroy()
  }

  /** Whether the tunnel still carries connections (codex-mux was not killed, close() not called). */
  get alive(): boolean {
    return !this.closed
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (err?: AppError): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (err) {
          this.close()
          reject(err)
        } else resolve()
      }
      const failed = (reason: string): AppError =>
        new AppError('container_failed', `The sandbox's network tunnel did not start: ${reason}`, {
          hint: /not found|no such file/i.test(reason)
            ? 'The agent image has no codex-mux: rebuild it (`npm run image`).'
            : 'Start the task again; if it keeps failing, restart Docker.',
          details: { stderr: this.stderr.slice(-500) },
        })
      const timer = setTimeout(
        () => settle(failed(`no word from codex-mux in ${timeoutMs / 1000} s`)),
        timeoutMs,
      )
      const frames = createFrameReader((type, channel, payload) => {
        if (type === MuxFrame.READY) {
          this.ports = payload.toString('ascii').trim().split(' ').map(Number)
          return settle()
        }
        this.onFrame(type, channel, payload)
      })
      const demux = createDemuxer((name, payload) => {
        if (name === 'stderr') {
          this.stderr = (this.stderr + payload.toString('utf8')).slice(-4_000)
          return
        }
        try {
          frames(payload)
        } catch (err) {
          settle(failed(String((err as Error).message)))
          this.close()
        }
      })
      this.stream.on('data', (chunk: Buffer) => demux(chunk))
      const ended = (): void => {
        const said = /codex-mux: (.*)/.exec(this.stderr)?.[1] ?? this.stderr.trim().split('\n').pop()
        settle(failed(said || 'it exited'))
        this.close()
      }
      this.stream.on('end', ended)
      this.stream.on('close', ended)
      this.stream.on('error', ended)
    })
  }

  private send(frame: Buffer): void {
    if (!this.closed) this.stream.write(frame)
  }

  private onFrame(type: number, id: number, payload: Buffer): void {
    if (type === MuxFrame.OPEN)
      return this.openChannel(id, payload.length === 2 ? payload.readUInt16BE(0) : 0)
    const ch = this.channels.get(id)
    if (!ch || ch.closed) return
    switch (type) {
      case MuxFrame.DATA:
        ch.socket.write(payload, () => this.acknowledge(id, ch, payload.length))
        return
      case MuxFrame.ACK:
        ch.credit += payload.length === 4 ? payload.readUInt32BE(0) : 0
        if (ch.credit > 0 && ch.socket.isPaused()) ch.socket.resume()
        return
      case MuxFrame.EOF:
        ch.socket.end()
        return
      case MuxFrame.CLOSE:
        this.dropChannel(id, ch, false)
        return
    }
  }

  private openChannel(id: number, port: number): void {
    const path = this.routes.get(port)
    if (!path || this.channels.has(id)) return this.send(encodeFrame(MuxFrame.CLOSE, id))
    const socket = net.connect(path)
    const ch: Channel = { socket, credit: MUX_WINDOW, unacked: 0, closed: false }
    this.channels.set(id, ch)
    socket.on('data', (data: Buffer) => {
      // A read may overshoot the window by one chunk (64 KiB); reading waits for the next ACK.
      ch.credit -= data.length
      this.send(encodeFrame(MuxFrame.DATA, id, data))
      if (ch.credit <= 0) socket.pause()
    })
    socket.on('end', () => this.send(encodeFrame(MuxFrame.EOF, id)))
    socket.on('error', () => undefined)
    socket.on('close', () => this.dropChannel(id, ch, true))
  }

  private acknowledge(id: number, ch: Channel, bytes: number): void {
    if (ch.closed) return
    ch.unacked += bytes
    if (ch.unacked >= MUX_WINDOW / 4 || ch.socket.writableLength === 0) {
      this.send(ackFrame(id, ch.unacked))
      ch.unacked = 0
    }
  }

  private dropChannel(id: number, ch: Channel, tell: boolean): void {
    if (ch.closed) return
    ch.closed = true
    this.channels.delete(id)
    // The container's CLOSE comes after both EOFs when a channel ends well: let what it sent drain first.
    if (ch.socket.writableLength > 0 && ch.socket.writableEnded)
      ch.socket.once('finish', () => ch.socket.destroy())
    else ch.socket.destroy()
    if (tell) this.send(encodeFrame(MuxFrame.CLOSE, id))
  }
}
