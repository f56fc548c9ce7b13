import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dockerOptionsFor } from '../../../src/main/docker/client'
import {
  hostFieldMatches,
  hostKeyVerdict,
  knownHostsFiles,
  remoteEngineRefusal,
  sshUsername,
} from '../../../src/main/docker/remote-auth'
import { SshDockerAgent } from '../../../src/main/docker/ssh-transport'
import { tempDir } from '../../support/tmp'

/** A fresh ed25519 key made by ssh-keygen: its public line (`type base64`) and the key blob ssh2 sees. */
function hostKey(dir: string, name: string): { line: string; blob: Buffer } {
  const path = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path], { stdio: 'ignore' })
  const [type, base64] = readFileSync(`${path}.pub`, 'utf8').split(' ')
  return { line: `${type} ${base64}`, blob: Buffer.from(base64 ?? '', 'base64') }
}

describe('hostKeyVerdict (known_hosts as OpenSSH reads it)', () => {
  it('knows a listed key, calls another key for the host changed, and a host not listed unknown', async () => {
    const dir = await tempDir()
    const [good, other] = [hostKey(dir, 'a'), hostKey(dir, 'b')]
    const file = join(dir, 'known_hosts')
    writeFileSync(file, `# comment\n\nbuild.example,10.0.0.5 ${good.line} me@laptop\n`)
    expect(hostKeyVerdict('10.0.0.5', 22, good.blob, [file])).toBe('known')
    expect(hostKeyVerdict('BUILD.example', 22, good.blob, [file])).toBe('known')
    expect(hostKeyVerdict('10.0.0.5', 22, other.blob, [file])).toBe('changed')
    expect(hostKeyVerdict('10.0.0.6', 22, good.blob, [file])).toBe('unknown')
    expect(hostKeyVerdict('10.0.0.5', 22, good.blob, [join(dir, 'missing')])).toBe('unknown')
  })

  it('names a host off port 22 as [host]:port only', async () => {
    const dir = await tempDir()
    const key = hostKey(dir, 'a')
    const file = join(dir, 'known_hosts')
    writeFileSync(file, `[box]:2222 ${key.line}\n`)
    expect(hostKeyVerdict('box', 2222, key.blob, [file])).toBe('known')
    expect(hostKeyVerdict('box', 22, key.blob, [file])).toBe('unknown')
  })

  it('reads entries hashed by ssh-keygen -H', async () => {
    const dir = await tempDir()
    const key = hostKey(dir, 'a')
    const file = join(dir, 'known_hosts')
    writeFileSync(file, `box.example ${key.line}\n[box.example]:2200 ${key.line}\n`)
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' })
    expect(readFileSync(file, 'utf8')).not.toContain('box.example')
    expect(hostKeyVerdict('box.example', 22, key.blob, [file])).toBe('known')
    expect(hostKeyVerdict('box.example', 2200, key.blob, [file])).toBe('known')
    expect(hostKeyVerdict('other.example', 22, key.blob, [file])).toBe('unknown')
  })

  it('honours wildcards and negations, and a @revoked key wins over a listed one', async () => {
    const dir = await tempDir()
    const key = hostKey(dir, 'a')
    const file = join(dir, 'known_hosts')
    writeFileSync(file, `*.lab,!secret.lab ${key.line}\n@revoked * ${key.line}\n`)
    expect(hostFieldMatches('*.lab,!secret.lab', 'a.lab')).toBe(true)
    expect(hostFieldMatches('*.lab,!secret.lab', 'secret.lab')).toBe(false)
    expect(hostFieldMatches('10.0.0.?', '10.0.0.7')).toBe(true)
    expect(hostKeyVerdict('a.lab', 22, key.blob, [file])).toBe('revoked')
  })

  it('reads ~/.ssh/known_hosts of the HOME it is given, then the system files', () => {
    expect(knownHostsFiles({ HOME: '/h' }, 'linux')).toEqual([
      '/h/.ssh/known_hosts',
      '/h/.ssh/known_hosts2',
      '/etc/ssh/ssh_known_hosts',
      '/etc/ssh/ssh_known_hosts2',
    ])
  })
})

describe('dockerOptionsFor an ssh:// engine', () => {
  it('checks the host key against known_hosts (ssh2 would accept every key)', async () => {
    const dir = await tempDir()
    const [good, other] = [hostKey(dir, 'a'), hostKey(dir, 'b')]
    mkdirSync(join(dir, '.ssh'))
    writeFileSync(join(dir, '.ssh', 'known_hosts'), `[box]:2222 ${good.line}\n`)
    const options = dockerOptionsFor(
      { host: 'ssh://dev@box:2222', source: 'setting', notes: [] },
      { HOME: dir, SSH_AUTH_SOCK: '/agent.sock' },
    )
    expect(options.agent).toBeInstanceOf(SshDockerAgent)
    const ssh = (options.agent as SshDockerAgent).config
    expect(ssh).toMatchObject({ host: 'box', port: 2222, username: 'dev', agent: '/agent.sock' })
    const verify = ssh.hostVerifier as (key: Buffer) => boolean
    expect(verify(good.blob)).toBe(true)
    expect(verify(other.blob)).toBe(false)
  })

  it('logs in as the local user when the address names none, as ssh does', () => {
    const options = dockerOptionsFor({ host: 'ssh://box', source: 'setting', notes: [] }, { USER: 'ada' })
    expect((options.agent as SshDockerAgent).config.username).toBe('ada')
    expect(sshUsername(new URL('ssh://b%40x@box'), {})).toBe('b@x')
  })
})

describe('remoteEngineRefusal', () => {
  const ssh = { host: 'ssh://dev@box', source: 'setting' as const, notes: [] }
  const tls = { host: 'tcp://10.0.0.5:2376', source: 'setting' as const, notes: [] }

  it('tells a refused SSH key apart from a missing agent', () => {
    const err = new Error('All configured authentication methods failed')
    expect(remoteEngineRefusal(err, ssh, { SSH_AUTH_SOCK: '/a' })?.hint).toContain('ssh-add')
    expect(remoteEngineRefusal(err, ssh, {})?.hint).toContain('SSH_AUTH_SOCK is not set')
  })

  it('tells an untrusted server certificate apart from a refused client certificate', () => {
    const untrusted = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    })
    expect(remoteEngineRefusal(untrusted, tls)?.details?.refusal).toBe('tls_server_untrusted')
    const refused = new Error('error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate')
    expect(remoteEngineRefusal(refused, tls)?.message).toBe(
      "The Docker engine at 10.0.0.5:2376 refused this app's TLS client certificate (or got none).",
    )
  })

  it('leaves a plain unreachable engine, and local sockets, to the usual message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:2376'), { code: 'ECONNREFUSED' })
    expect(remoteEngineRefusal(refused, tls)).toBeUndefined()
    const local = { host: 'unix:///var/run/docker.sock', source: 'default' as const, notes: [] }
    expect(remoteEngineRefusal(new Error('alert bad certificate'), local)).toBeUndefined()
  })
})
