/**
 * The proxied network's throughput: a 100 MB download from an HTTP server in a container of ours, by
 * curl in a proxied sandbox — container → codex-relay (127.0.0.1:3128) → the socket directory's
 * proxy.sock → the real policy proxy (a custom policy allowing one name the bench maps to the server) →
 * TCP → the server — against the same curl, in a container of the same image on a plain bridge with the
 * server (a direct download). Target: ≥ 0.8× the direct throughput, i.e. ≤ 1.25× its time. Timed by curl
 * itself (`time_total`), so `docker exec`'s own cost is left out.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { TASK_LABEL } from '../src/main/docker/container-spec'
import { runExec, type ExecOptions } from '../src/main/docker/exec'
import { giveWorkspaceTo, Sandbox, sandboxUser, type ProxyTransport } from '../src/main/docker/sandbox'
import { resolvePolicy } from '../src/main/network/policy'
import { PolicyProxy } from '../src/main/network/policy-proxy'
import { alternate, median } from './support/measure'
import { benchDocker } from './support/agent-image'
import type { BenchResult } from './types'

const MB = 100
const ROUNDS = 11
const NOTE_ROUNDS = 5
const BENCH_HOST = 'bench-server.codex.test'
const SANDBOX_MEMORY_MB = 1024
const SANDBOX_CPUS = 2

/** The server: 100 MB (from a file, with sendfile) for any GET, whatever its request target. */
const SERVER = `
import http.server, os, socketserver
SIZE = ${MB} * 1024 * 1024
with open('/tmp/blob', 'wb') as f:
    f.write(os.urandom(1 << 20) * ${MB})
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(SIZE))
        self.end_headers()
        self.wfile.flush()
        with open('/tmp/blob', 'rb') as f:
            self.connection.sendfile(f)
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
print('listening', flush=True)
Server(('0.0.0.0', 8000), Handler).serve_forever()
`

/** BENCH_UNIX_SERVER — the same 100 MB, served straight on the unix socket: the relay's leg alone. */
const BENCH_UNIX_SERVER = `
import os, socket, sys, threading
path, blob = sys.argv[1], sys.argv[2]
with open(blob, 'wb') as f:
    f.write(os.urandom(1 << 20) * ${MB})
def serve(c):
    head = b''
    while b'\\r\\n\\r\\n' not in head:
        d = c.recv(65536)
        if not d: return c.close()
        head += d
    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % os.path.getsize(blob))
    with open(blob, 'rb') as f: c.sendfile(f)
    c.close()
try: os.unlink(path)
except FileNotFoundError: pass
server = socket.socket(socket.AF_UNIX); server.bind(path); os.chmod(path, 0o666); server.listen(64)
print('listening', flush=True)
while True:
    c, _ = server.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`

/** Runs one of the host-side python3 helpers above; resolves once it listens. */
async function startHostHelper(script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err) =>
      reject(new Error(`The relay bench needs python3 on the host: ${err.message}`, { cause: err })),
    )
    child.stdout!.once('data', () => resolve())
  })
  return child
}

async function logsOf(docker: Docker, id: string): Promise<string> {
  const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true })) as Buffer
  return raw.toString('latin1')
}

interface Runner {
  exec: (argv: string[], opts?: ExecOptions) => Promise<{ exitCode: number; stdout: string; stderr: string }>
}

/** Seconds curl took for the whole download (it must be the full size); `tunnel`: through a CONNECT. */
async function download(sandbox: Runner, url: string, tunnel = false): Promise<number> {
  const r = await sandbox.exec(
    [
      'curl',
      '-sS',
      ...(tunnel ? ['--proxytunnel'] : []),
      '-o',
      '/dev/null',
      '-w',
      '%{time_total} %{size_download}',
      url,
    ],
    {
      timeoutMs: 120_000,
    },
  )
  const [seconds, size] = r.stdout.trim().split(' ').map(Number)
  if (r.exitCode !== 0 || size !== MB * 1024 * 1024) {
    throw new Error(
      `download of ${url} failed (exit ${r.exitCode}, ${size} bytes): ${r.stderr.slice(0, 300)}`,
    )
  }
  return seconds!
}

/** A plain container of the image on `network`, hardened like a sandbox, to run curl in. */
async function directClient(
  docker: Docker,
  image: string,
  network: string,
  taskId: string,
): Promise<Runner & { id: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['sleep', 'infinity'],
    User: `${sandboxUser().uid}:${sandboxUser().gid}`,
    Labels: { [TASK_LABEL]: taskId },
    HostConfig: {
      NetworkMode: network,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
      Init: true,
      // The sandbox's limits (below), so the two clients differ only in their way to the server.
      Memory: SANDBOX_MEMORY_MB * 1024 * 1024,
      NanoCpus: SANDBOX_CPUS * 1e9,
      PidsLimit: 256,
    },
  })
  await container.start()
  const user = sandboxUser()
  const exec: Runner['exec'] = (argv, opts) => runExec(container, user, argv, opts)
  return { id: container.id, exec }
}

export default async function run(
  workDir = fileURLToPath(new URL('./.work', import.meta.url)),
): Promise<BenchResult[]> {
  const { docker, image } = await benchDocker()

  const dir = join(workDir, 'relay')
  await rm(dir, { recursive: true, force: true })
  const workspace = join(dir, 'workspace')
  const netDir = join(dir, 'net')
  await mkdir(workspace, { recursive: true })
  await mkdir(netDir, { recursive: true })
  await chmod(netDir, 0o755)
  await giveWorkspaceTo(workspace, sandboxUser())

  const taskId = `bench-relay-${randomBytes(3).toString('hex')}`
  const network = `codex-sys-bench-${randomBytes(3).toString('hex')}`
  await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { [TASK_LABEL]: taskId } })
  const cleanup: Array<() => Promise<unknown>> = [() => docker.getNetwork(network).remove()]
  try {
    const server = await docker.createContainer({
      Image: image,
      Cmd: ['python3', '-c', SERVER],
      Labels: { [TASK_LABEL]: taskId },
      HostConfig: { NetworkMode: network },
    })
    cleanup.unshift(() => server.remove({ force: true }))
    await server.start()
    for (let i = 0; !(await logsOf(docker, server.id)).includes('listening'); i++) {
      if (i > 200) throw new Error('the bench HTTP server did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
    const host = (await server.inspect()).NetworkSettings.Networks[network]!.IPAddress
    const url = `http://${host}:8000/blob`

    const client = await directClient(docker, image, network, taskId)
    cleanup.unshift(() => docker.getContainer(client.id).remove({ force: true }))

    // The real policy proxy: a custom policy allowing one name, which the bench's lookup maps to the
    // server container (an address of ours, trusted for the bench only).
    const proxy = await PolicyProxy.listen({
      socketPath: join(netDir, 'proxy.sock'),
      phase: 'agent',
      policy: () =>
        resolvePolicy(
          { mode: 'custom', hosts: [`${BENCH_HOST}:8000`], readOnly: false },
          { registries: [], extraHosts: [] },
        ),
      onBlocked: (block) => {
        throw new Error(`the bench download was blocked: ${block.rule}`)
      },
      lookup: async () => [{ address: host, family: 4 }],
      trustAddress: (ip) => ip === host,
      upstream: null,
    })
    cleanup.unshift(() => proxy.close())
    /** A proxied sandbox reaching the proxy by `transport`, its relay up. */
    const proxiedSandbox = async (transport: ProxyTransport): Promise<Sandbox> => {
      const sandbox = await Sandbox.create(docker, {
        taskId,
        image,
        workspace,
        memoryMb: SANDBOX_MEMORY_MB,
        cpus: SANDBOX_CPUS,
        pidsLimit: 256,
        tmpfsMb: 64,
        network: { kind: 'proxied', netDir, transport },
      })
      cleanup.unshift(() => sandbox.remove())
      await sandbox.startRelay()
      return sandbox
    }
    const sandbox = await proxiedSandbox('socket')

    // Warm both paths (the server's file in the page cache, curl, the relay, the proxy).
    const proxied = `http://${BENCH_HOST}:8000/blob`
    await download(client, url)
    await download(sandbox, proxied, true)
    // HTTPS goes through a CONNECT tunnel: the path most downloads take.
    const { base, ours, ratio } = await alternate(
      ROUNDS,
      () => download(client, url),
      () => download(sandbox, proxied, true),
    )
    // Plain HTTP through the proxy (parsed and forwarded request by request).
    const plainTimes: number[] = []
    for (let i = 0; i < NOTE_ROUNDS; i++) plainTimes.push(await download(sandbox, proxied))
    const plainSeconds = median(plainTimes)

    // Docker Desktop's path: the same proxy reached over the exec tunnel (codex-mux, the Docker API's stream).
    const tunnelled = await proxiedSandbox('exec')
    await download(tunnelled, proxied, true)
    const execTimes: number[] = []
    for (let i = 0; i < NOTE_ROUNDS; i++) execTimes.push(await download(tunnelled, proxied, true))
    const execSeconds = median(execTimes)

    // The relay's leg alone: the bytes served on proxy.sock itself (no proxy, no second TCP hop).
    await proxy.close()
    const unixServer = await startHostHelper(BENCH_UNIX_SERVER, [
      join(netDir, 'proxy.sock'),
      join(dir, 'blob'),
    ])
    cleanup.unshift(async () => unixServer.kill())
    const legTimes: number[] = []
    for (let i = 0; i < NOTE_ROUNDS; i++) legTimes.push(await download(sandbox, url))
    const legSeconds = median(legTimes)

    const mbps = (s: number): string => `${(MB / s).toFixed(0)} MB/s`
    return [
      {
        name: `proxy throughput, ${MB} MB download (container → relay → unix socket → policy proxy → server container)`,
        baseline: 'direct download, container → server on one bridge',
        ours,
        base,
        ratio,
        target: 1.25,
        note:
          `time ratio; target ≤ 1.25× = throughput ≥ 0.8×: ${mbps(ours)} vs ${mbps(base)} = ` +
          `${(1 / ratio).toFixed(2)}× direct through a CONNECT tunnel, median of ${ROUNDS}. Plain HTTP through ` +
          `the proxy: ${mbps(plainSeconds)} = ${(base / plainSeconds).toFixed(2)}× direct. The relay's leg ` +
          `alone (served on proxy.sock itself): ${mbps(legSeconds)} = ${(base / legSeconds).toFixed(2)}× direct ` +
          `(medians of ${NOTE_ROUNDS}). Over the exec tunnel (Docker Desktop's path): ${mbps(execSeconds)} = ` +
          `${(base / execSeconds).toFixed(2)}× direct. 2 cores: curl, the relay, the proxy and the server share them`,
      },
    ]
  } finally {
    for (const step of cleanup) await step().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}
