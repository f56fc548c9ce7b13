import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { pingEngine } from '../../src/main/docker/engine-probe'
import { makeRemoteEngineKeys, type RemoteEngineKeys } from './remote-engine-keys'
import { ensureDindImage } from './remote-engine-image'

/**
 * A second Docker engine of the test's own: a privileged Docker-in-Docker container on the machine's
 * engine, its /var/lib/docker a named volume (overlay on overlay fails), answering on TLS at its container
 * address (certificates made by the test) and over SSH (sshd with a host key and a client key made by the
 * test; `docker system dial-stdio` on the far side). The machine's engine only gets this one image,
 * container and volume; `stop()` removes the container and the volume. No network is created.
 */
export interface RemoteEngine {
  ip: string
  /** `tcp://<ip>:2376`: TLS, client certificate required. */
  tcpHost: string
  /** DOCKER_CERT_PATH for that host: ca.pem, cert.pem, key.pem. */
  certDir: string
  /** `ssh://root@<ip>`. */
  sshHost: string
  /** The client key sshd accepts (ed25519, no passphrase); give it to an ssh-agent. */
  sshKeyPath: string
  /** A known_hosts file with the engine's host key, and that key's public line. */
  knownHostsPath: string
  hostPublicKey: string
  /** The container on the machine's engine (to kill it, look at its logs). */
  containerId: string
  /** The last lines of dockerd's and sshd's logs inside the container (for a failure message). */
  logTail(): Promise<string>
  stop(): Promise<void>
}

const READY_TIMEOUT_MS = 90_000

/**
 * Every capability this machine's dockerd (20.10) knows but CAP_SYS_RESOURCE, which the machine's bounding
 * set lacks: `--privileged` asks for all of them and runc fails with "unable to apply caps: operation not
 * permitted". With these, no seccomp or AppArmor profile, unmasked /proc and every device, dockerd runs
 * inside as it would privileged (the start script makes the cgroups writable).
 */
const DIND_CAPS = [
  ...['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP'],
  ...[
    'LINUX_IMMUTABLE',
    'NET_BIND_SERVICE',
    'NET_BROADCAST',
    'NET_ADMIN',
    'NET_RAW',
    'IPC_LOCK',
    'IPC_OWNER',
  ],
  ...[
    'SYS_MODULE',
    'SYS_RAWIO',
    'SYS_CHROOT',
    'SYS_PTRACE',
    'SYS_PACCT',
    'SYS_ADMIN',
    'SYS_BOOT',
    'SYS_NICE',
  ],
  ...['SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP'],
  ...['MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ'],
]
const LABEL = 'codex-sys-test.dind'

export interface StartRemoteEngineOptions {
  /** The machine's engine, where the container runs. */
  docker: Docker
  /** The image it is built from (codex-sys/debian-base:bookworm here). */
  baseImage: string
  onLine?: (line: string) => void
}

export async function startRemoteEngine(opts: StartRemoteEngineOptions): Promise<RemoteEngine> {
  const { docker } = opts
  const image = await ensureDindImage(docker, opts.baseImage, opts.onLine)
  const dir = await mkdtemp(join(tmpdir(), 'codex-dind-'))
  const name = `codex-sys-test-dind-${randomBytes(4).toString('hex')}`
  const volume = `${name}-data`
  let container: Docker.Container | undefined
  const stop = async (): Promise<void> => {
    await container?.remove({ force: true, v: true }).catch(() => undefined)
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    container = await createDindContainer(docker, { image, name, volume, configDir: join(dir, 'etc') })
    await container.start()
    const ip = await containerIp(container)
    const keys = await makeRemoteEngineKeys(dir, ip)
    await writeEngineConfig(join(dir, 'etc'), keys)
    const engine = describe(container, ip, keys, stop)
    await waitUntilAnswering(engine)
    return engine
  } catch (err) {
    const logs = container ? await logTailOf(container).catch(() => '') : ''
    await stop()
    throw new Error(`The remote test engine did not start: ${(err as Error).message}\n${logs}`, {
      cause: err,
    })
  }
}

async function createDindContainer(
  docker: Docker,
  o: { image: string; name: string; volume: string; configDir: string },
): Promise<Docker.Container> {
  await docker.createVolume({ Name: o.volume, Labels: { [LABEL]: 'true' } })
  await mkdir(o.configDir, { mode: 0o700 })
  return docker.createContainer({
    name: o.name,
    Image: o.image,
    Labels: { [LABEL]: 'true' },
    HostConfig: {
      CapAdd: DIND_CAPS,
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      // What the CLI's `--security-opt systempaths=unconfined` sends.
      MaskedPaths: [],
      ReadonlyPaths: [],
      DeviceCgroupRules: ['a *:* rwm'],
      Init: true,
      Binds: [`${o.volume}:/var/lib/docker`, `${o.configDir}:/etc/dind:ro`],
    },
  })
}

async function containerIp(container: Docker.Container): Promise<string> {
  const info = await container.inspect()
  const networks = Object.values(info.NetworkSettings.Networks ?? {})
  const ip = networks.map((n) => n.IPAddress).find(Boolean)
  if (!ip) throw new Error(`The container ${info.Name} has no IP address on the machine's default network`)
  return ip
}

/** What the start script waits for, then `ready` last. */
async function writeEngineConfig(etc: string, keys: RemoteEngineKeys): Promise<void> {
  for (const [file, bytes] of Object.entries(keys.serverFiles)) {
    await writeFile(join(etc, file), bytes, { mode: 0o600 })
  }
  await writeFile(join(etc, 'authorized_keys'), `${keys.sshPublicKey}\n`, { mode: 0o600 })
  await writeFile(join(etc, 'ssh_host_ed25519_key'), await readFile(keys.hostKeyPath), { mode: 0o600 })
  await writeFile(join(etc, 'ready'), '')
}

function describe(
  container: Docker.Container,
  ip: string,
  keys: RemoteEngineKeys,
  stop: () => Promise<void>,
): RemoteEngine {
  return {
    ip,
    tcpHost: `tcp://${ip}:2376`,
    certDir: keys.certDir,
    sshHost: `ssh://root@${ip}`,
    sshKeyPath: keys.sshKeyPath,
    knownHostsPath: keys.knownHostsPath,
    hostPublicKey: keys.hostPublicKey,
    containerId: container.id,
    logTail: () => logTailOf(container),
    stop,
  }
}

async function logTailOf(container: Docker.Container): Promise<string> {
  const exec = await container.exec({
    Cmd: ['sh', '-c', 'tail -n 15 /var/log/dockerd.log /var/log/sshd.log 2>&1'],
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
  })
  const stream = await exec.start({ hijack: true, stdin: false })
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  await new Promise((resolve) => stream.on('end', resolve))
  return Buffer.concat(chunks).toString('utf8')
}

/** Until dockerd answers on TLS (a client of its own, not the app's) and sshd lets the key in (OpenSSH). */
async function waitUntilAnswering(engine: RemoteEngine): Promise<void> {
  const direct = new Docker({
    protocol: 'https',
    host: engine.ip,
    port: 2376,
    ca: readFileSync(join(engine.certDir, 'ca.pem')),
    cert: readFileSync(join(engine.certDir, 'cert.pem')),
    key: readFileSync(join(engine.certDir, 'key.pem')),
  })
  const deadline = Date.now() + READY_TIMEOUT_MS
  while ((await pingEngine(direct, { timeoutMs: 2_000 })) !== 'up') {
    if (Date.now() > deadline) throw new Error(`dockerd at ${engine.tcpHost} did not answer on TLS`)
    await new Promise((r) => setTimeout(r, 250))
  }
  while (!(await sshAnswers(engine))) {
    if (Date.now() > deadline) throw new Error(`sshd at ${engine.ip} did not let the test's key in`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** `ssh … docker version` with only the test's key and known_hosts: true once the engine answers over SSH. */
function sshAnswers(engine: RemoteEngine): Promise<boolean> {
  const args = [
    ...['-i', engine.sshKeyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
    ...['-o', `UserKnownHostsFile=${engine.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes'],
    ...[
      '-o',
      'ConnectTimeout=2',
      `root@${engine.ip}`,
      'docker',
      'version',
      '--format',
      '{{.Server.Version}}',
    ],
  ]
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 10_000 }, (err) => resolve(!err))
  })
}
