import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CA_BUNDLE_PATH,
  containerName,
  containerOptions,
  NET_DIR,
  SANDBOX_ENV,
  sandboxEnv,
  TASK_LABEL,
  type SandboxSpec,
} from '../../../src/main/docker/container-spec'
import { execEnv, wrapArgv } from '../../../src/main/docker/exec'
import { parseOomKills, parseRelayReady } from '../../../src/main/docker/sandbox'
import { AGENT_UID, sandboxUser } from '../../../src/main/docker/workspace-owner'

const spec: SandboxSpec = {
  taskId: 'test-abc',
  image: 'codex-sys-agent:123456789abc',
  workspace: '/data/tasks/abc/workspace',
  memoryMb: 512,
  cpus: 1.5,
  pidsLimit: 256,
  tmpfsMb: 300,
  network: { kind: 'none' },
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('containerOptions', () => {
  it('builds a hardened container', () => {
    const o = containerOptions(spec, { uid: 10001, gid: 10001 }, 'n')
    const h = o.HostConfig!
    expect(o.User).toBe('10001:10001')
    expect(o.Cmd).toEqual(['sleep', 'infinity'])
    expect(o.Labels).toEqual({ [TASK_LABEL]: 'test-abc' })
    expect(h.Init).toBe(true)
    expect(h.CapDrop).toEqual(['ALL'])
    expect(h.CapAdd).toBeUndefined()
    expect(h.SecurityOpt).toEqual(['no-new-privileges'])
    expect(h.ReadonlyRootfs).toBe(true)
    expect(h.Privileged).toBe(false)
    expect(h.Memory).toBe(512 * 1024 * 1024)
    expect(h.MemorySwap).toBe(h.Memory)
    expect(h.NanoCpus).toBe(1.5e9)
    expect(h.PidsLimit).toBe(256)
    expect(h.NetworkMode).toBe('none')
    expect(Object.keys(h.Tmpfs!).sort()).toEqual(['/home/agent', '/tmp'])
    expect(h.Tmpfs!['/home/agent']).toContain('uid=10001,gid=10001')
    expect(h.Mounts).toEqual([
      { Type: 'bind', Source: spec.workspace, Target: '/workspace', ReadOnly: false },
    ])
  })

  it('puts each network on its own: none and proxied on no network, full on codex-sys-full', () => {
    const mode = (network: SandboxSpec['network']): string | undefined =>
      containerOptions({ ...spec, network }, { uid: 1000, gid: 1000 }, 'n').HostConfig!.NetworkMode
    expect(mode({ kind: 'none' })).toBe('none')
    expect(mode({ kind: 'proxied', netDir: '/data/tasks/abc/net' })).toBe('none')
    expect(mode({ kind: 'full' })).toBe('codex-sys-full')
    for (const network of [{ kind: 'none' }, { kind: 'proxied', netDir: '/x' }, { kind: 'full' }] as const) {
      expect(mode(network)).not.toBe('bridge')
      expect(mode(network)).not.toBe('host')
    }
    expect(() => mode({ kind: 'proxied', netDir: '' })).toThrow(/netDir/)
  })

  it('mounts nothing of the host with the exec transport, and starts no relay of its own', () => {
    const network = { kind: 'proxied', netDir: '/data/tasks/abc/net', transport: 'exec' } as const
    const o = containerOptions({ ...spec, network }, { uid: 10001, gid: 10001 }, 'n')
    expect(o.Cmd).toEqual(['sleep', 'infinity'])
    expect(o.HostConfig!.NetworkMode).toBe('none')
    expect(o.HostConfig!.Mounts!.map((m) => m.Target)).not.toContain(NET_DIR)
    expect(o.Env).toEqual(
      containerOptions({ ...spec, network: { ...network, transport: 'socket' } }, { uid: 1, gid: 1 }, 'n')
        .Env,
    )
  })

  it('mounts the socket directory read-only at /run/codex-net and sets the proxy variables (proxied)', () => {
    const o = containerOptions(
      { ...spec, network: { kind: 'proxied', netDir: '/data/tasks/abc/net' } },
      { uid: 10001, gid: 10001 },
      'n',
    )
    // The relay starts first, then the container sleeps as any other.
    expect(o.Cmd).toEqual(['codex-relay', '--daemon', '--timeout', '10', '--then', 'sleep', 'infinity'])
    expect(o.HostConfig!.Mounts).toContainEqual({
      Type: 'bind',
      Source: '/data/tasks/abc/net',
      Target: NET_DIR,
      ReadOnly: true,
    })
    const env = Object.fromEntries(
      o.Env!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    )
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
      expect(env[name]).toBe('http://127.0.0.1:3128')
    }
    expect(env.NO_PROXY).toBe('localhost,127.0.0.1,::1')
    expect(env.no_proxy).toBe('localhost,127.0.0.1,::1')
    expect(o.HostConfig!.CapAdd).toBeUndefined()
    // Nothing proxy-related without a proxied network.
    for (const network of [{ kind: 'none' }, { kind: 'full' }] as const) {
      const plain = containerOptions({ ...spec, network }, { uid: 1, gid: 1 }, 'n')
      expect(plain.Env).toEqual([...SANDBOX_ENV])
      expect(plain.HostConfig!.Mounts!.some((m) => m.Target === NET_DIR)).toBe(false)
    }
  })

  it('mounts a CA bundle read-only and points every usual variable at it', () => {
    const o = containerOptions({ ...spec, caBundle: '/data/ca/bundle.pem' }, { uid: 1, gid: 1 }, 'n')
    expect(o.HostConfig!.Mounts).toContainEqual({
      Type: 'bind',
      Source: '/data/ca/bundle.pem',
      Target: CA_BUNDLE_PATH,
      ReadOnly: true,
    })
    const names = [
      'SSL_CERT_FILE',
      'NODE_EXTRA_CA_CERTS',
      'REQUESTS_CA_BUNDLE',
      'PIP_CERT',
      'GIT_SSL_CAINFO',
      'CURL_CA_BUNDLE',
    ]
    for (const name of names) expect(o.Env).toContain(`${name}=/etc/ssl/codex/ca-bundle.pem`)
    // npm trusts the bundle through NODE_EXTRA_CA_CERTS: its cafile would be parsed per connection.
    expect(o.Env!.some((e) => /^npm_config_cafile=/i.test(e))).toBe(false)
    expect(sandboxEnv({ network: { kind: 'none' } })).toEqual([...SANDBOX_ENV])
    expect(sandboxEnv({ network: { kind: 'proxied', netDir: '/n' }, caBundle: '/b' }).length).toBe(
      SANDBOX_ENV.length + 7 + names.length,
    )
  })

  it('passes nothing from the engine environment into the container', () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-secret-123')
    vi.stubEnv('GITHUB_TOKEN', 'ghp_secret_456')
    const o = containerOptions(spec, { uid: 1000, gid: 1000 }, 'n')
    expect(o.Env).toEqual([...SANDBOX_ENV])
    expect(o.Env!.map((e) => e.split('=')[0]).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TERM'])
    const json = JSON.stringify(o)
    expect(json).not.toContain('sk-secret-123')
    expect(json).not.toContain('ghp_secret_456')
  })

  it('gives /tmp and HOME a size (settings sandbox.tmpfsMb)', () => {
    const tmpfs = containerOptions(spec, { uid: 10001, gid: 10001 }, 'n').HostConfig!.Tmpfs!
    expect(tmpfs['/tmp']).toBe('rw,nosuid,nodev,exec,mode=1777,size=300m')
    expect(tmpfs['/home/agent']).toBe('rw,nosuid,nodev,exec,mode=0700,uid=10001,gid=10001,size=300m')
    for (const options of Object.values(
      containerOptions({ ...spec, tmpfsMb: 1024 }, { uid: 1, gid: 1 }, 'n').HostConfig!.Tmpfs!,
    )) {
      expect(options.split(',').filter((o) => o.startsWith('size='))).toEqual(['size=1024m'])
    }
    for (const bad of [0, -1, 1.5, Number.NaN, undefined]) {
      expect(() => containerOptions({ ...spec, tmpfsMb: bad as number }, { uid: 1, gid: 1 }, 'n')).toThrow(
        /tmpfs size/,
      )
    }
  })

  it('mounts the task’s home directory at HOME instead of a tmpfs when given', () => {
    const o = containerOptions({ ...spec, home: '/data/tasks/t/home' }, { uid: 1000, gid: 1000 }, 'n')
    expect(Object.keys(o.HostConfig!.Tmpfs!)).toEqual(['/tmp'])
    expect(o.HostConfig!.Mounts).toContainEqual({
      Type: 'bind',
      Source: '/data/tasks/t/home',
      Target: '/home/agent',
      ReadOnly: false,
    })
  })

  it('refuses uid 0', () => {
    expect(() => containerOptions(spec, { uid: 0, gid: 0 }, 'n')).toThrow(/root/)
  })
})

describe('containerName', () => {
  it('makes a name Docker accepts', () => {
    expect(containerName('test-abc', 'f00d')).toBe('codex-sys-test-abc-f00d')
    expect(containerName('../weird id/ü', '01')).toMatch(/^codex-sys-[a-zA-Z0-9][a-zA-Z0-9_.-]*-01$/)
    expect(containerName('', '01')).toBe('codex-sys-task-01')
  })
})

describe('sandboxUser', () => {
  it('is never root', () => {
    const user = sandboxUser()
    expect(user.uid).not.toBe(0)
    if (process.getuid?.() === 0) expect(user).toEqual({ uid: AGENT_UID, gid: AGENT_UID })
    else expect(user.uid).toBe(process.getuid?.())
  })
})

describe('wrapArgv', () => {
  it('wraps in coreutils timeout only when a limit is set', () => {
    expect(wrapArgv(['ls', '-la'])).toEqual(['ls', '-la'])
    expect(wrapArgv(['sleep', '100'], 1500)).toEqual(['timeout', '--kill-after=2', '1.5s', 'sleep', '100'])
    expect(wrapArgv(['true'], 30 * 60_000)).toEqual(['timeout', '--kill-after=2', '1800s', 'true'])
    expect(wrapArgv(['true'], 0)[2]).toBe('0.1s')
    expect(() => wrapArgv([])).toThrow(/empty/)
  })
})

describe('execEnv', () => {
  it('adds the marker and the given variables, refusing odd names', () => {
    expect(execEnv('m1', { FOO: 'bar baz' })).toEqual(['CODEX_EXEC=m1', 'FOO=bar baz'])
    expect(() => execEnv('m', { 'A=B': 'x' })).toThrow(/Invalid environment/)
    expect(() => execEnv('m', { CODEX_EXEC: 'x' })).toThrow(/Invalid environment/)
    expect(() => execEnv('m', { X: 'a\0b' })).toThrow(/Invalid environment/)
  })
})

describe('parseRelayReady', () => {
  it('reads the ports of the relay’s ready line', () => {
    expect(parseRelayReady('codex-relay: ready 3128\n')).toEqual([3128])
    expect(parseRelayReady('codex-relay: ready 3128 3129\n')).toEqual([3128, 3129])
    expect(parseRelayReady('codex-relay: ready\n')).toBeUndefined()
    expect(parseRelayReady('')).toBeUndefined()
  })
})

describe('parseOomKills', () => {
  it('reads the cgroup v1 and v2 counters', () => {
    expect(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toBe(3)
    expect(parseOomKills('low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n')).toBe(1)
    expect(parseOomKills('nothing here')).toBeUndefined()
  })
})
