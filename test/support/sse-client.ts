import { request, type ClientRequest } from 'node:http'

/**
 * A minimal EventSource for Node (Node 20 has none), enough for the HTTP bridge and for tests: `data:`
 * lines become messages (with the newest `id:` as `lastEventId`), comments (heartbeats) are recorded, and a
 * dropped or refused stream ends CLOSED with an error. It does not reconnect by itself (the bridge replaces
 * closed streams); `lastEventId` in the options sends `Last-Event-ID` as a browser's reconnect does.
 */
export class NodeEventSource {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSED = 2
  readyState = NodeEventSource.CONNECTING
  status: number | undefined
  onmessage: ((event: { data: string; lastEventId?: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onopen: (() => void) | null = null
  readonly comments: string[] = []
  lastEventId = ''
  private readonly req: ClientRequest

  constructor(url: string, opts: { headers?: Record<string, string>; lastEventId?: string } = {}) {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers }
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId
    this.req = request(url, { headers }, (res) => {
      this.status = res.statusCode
      if (res.statusCode !== 200) {
        res.resume()
        return this.fail()
      }
      this.readyState = NodeEventSource.OPEN
      this.onopen?.()
      res.setEncoding('utf8')
      let buffer = ''
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.block(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
      })
      res.on('end', () => this.fail())
      res.on('error', () => this.fail())
    })
    this.req.on('error', () => this.fail())
    this.req.end()
  }

  close(): void {
    this.readyState = NodeEventSource.CLOSED
    this.req.destroy()
  }

  /** The connection breaks (a network drop): the stream ends CLOSED with an error, as a refused one does. */
  drop(): void {
    this.req.destroy()
    this.fail()
  }

  private block(text: string): void {
    const data: string[] = []
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim())
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      else if (line.startsWith('id:')) this.lastEventId = line.slice(3).replace(/^ /, '')
    }
    if (data.length) this.onmessage?.({ data: data.join('\n'), lastEventId: this.lastEventId })
  }

  private fail(): void {
    if (this.readyState === NodeEventSource.CLOSED) return
    this.readyState = NodeEventSource.CLOSED
    this.onerror?.(new Error('The event stream ended'))
  }
}
