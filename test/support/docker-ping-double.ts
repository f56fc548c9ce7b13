import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

/**
 * An engine that answers a health check and nothing else, on 127.0.0.1: `GET /_ping` and `/version`, as a
 * Docker engine does. For tests of scheduling across engines where no container is ever made (tasks wait
 * at the model key's gate), or for what an engine of another platform (`arch`) is told. Closed when the
 * test ends.
 */
export async function startPingOnlyEngine(
  opts: { arch?: string } = {},
): Promise<{ host: string; pings: () => number }> {
  let pings = 0
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '')
    if (path.startsWith('/_ping')) {
      pings++
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.45' }).end('OK')
    } else if (path.startsWith('/version')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ Version: '27.0.3', ApiVersion: '1.45', Os: 'linux', Arch: opts.arch ?? 'amd64' }),
      )
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not here"}')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { host: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, pings: () => pings }
}
