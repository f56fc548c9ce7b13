import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  containerName,
  containerOptions,
  SANDBOX_ENV,
  TASK_LABEL,
} from '../../../src/main/docker/container-spec'
import { execEnv, wrapArgv } from '../../../src/main/docker/exec'
import { parseOomKills } from '../../../src/main/docker/sandbox'
import { AGENT_UID, sandboxUser } from '../../../src/main/docker/workspace-owner'

const spec = {
  taskId: 'test-abc',
  image: 'codex-sys-agent:123456789abc',
  workspace: '/data/tasks/abc/workspace',
  memoryMb: 512,
  cpus: 1.5,
  pidsLimit: 256,
  tmpfsMb: 300,
  network: false,
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
    expect(
      containerOptions({ ...spec, network: true }, { uid: 1000, gid: 1000 }, 'n').HostConfig!.NetworkMode,
    ).toBe('bridge')
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

describe('parseOomKills', () => {
  it('reads the cgroup v1 and v2 counters', () => {
    expect(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toBe(3)
    expect(parseOomKills('low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n')).toBe(1)
    expect(parseOomKills('nothing here')).toBeUndefined()
  })
})
