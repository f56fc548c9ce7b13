import type net from 'node:net'

/** The policy proxy's connections in flight: what `pending()` lists, and the tunnels `close()` ends. */

export interface PendingConnection {
  host: string
  port: number
  /** Since when (ms epoch) it has been waiting. */
  since: number
  /** `connecting`: being resolved or connected; `waiting`: open, the client spoke last, no answer yet. */
  state: 'connecting' | 'waiting'
}

/** A CONNECT tunnel or a plain HTTP request, from when it arrives until it is answered or closed. */
export interface Tracked {
  host: string
  port: number
  since: number
  /** `idle`: an open tunnel whose target spoke last (not pending). */
  state: PendingConnection['state'] | 'idle'
  /** A tunnel's connection to its target, once there is one. */
  target?: net.Socket
}

export class InFlight {
  private readonly entries = new Set<Tracked>()

  /** Starts tracking a connection to `host:port`, as `connecting`. */
  track(host: string, port: number): Tracked {
    const entry: Tracked = { host, port, since: Date.now(), state: 'connecting' }
    this.entries.add(entry)
    return entry
  }

  untrack(entry: Tracked): void {
    this.entries.delete(entry)
  }

  /** Connections being resolved/connected, and open ones where the client spoke last and waits for an answer. */
  pending(): PendingConnection[] {
    const out: PendingConnection[] = []
    for (const e of this.entries) {
      if (e.state !== 'idle') out.push({ host: e.host, port: e.port, since: e.since, state: e.state })
    }
    return out
  }

  /** Ends every tunnel's connection to its target. */
  destroyTargets(): void {
    for (const e of this.entries) e.target?.destroy()
  }
}
