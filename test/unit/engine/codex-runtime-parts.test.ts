import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { codexArgv, codexConfigToml } from '../../../src/main/agent/codex/config'
import { agentImageTag } from '../../../src/main/docker/image'
import { variantImageTag } from '../../../src/main/docker/variant-image'
import { probeResponsesApi } from '../../../src/main/engine/codex-model'
import { openPhaseNetwork } from '../../../src/main/engine/phase-network'
import type { PhaseNetwork } from '../../../src/shared/network'
import { appErrorOf } from '../../support/files'
import { startModelServer } from '../../support/model-server'
import { tempDir } from '../../support/tmp'

const net = (mode: PhaseNetwork['mode']): PhaseNetwork => ({ mode, hosts: [], readOnly: false })

async function open(mode: PhaseNetwork['mode'], withModel: boolean) {
  const dir = join(await tempDir(), 'net')
  const served: string[] = []
  const handle = await openPhaseNetwork({
    phase: 'agent',
    network: net(mode),
    registries: [],
    extraHosts: () => [],
    dir,
    onBlocked: () => undefined,
    model: withModel
      ? async (socketPath) => {
          served.push(socketPath)
          await writeFile(socketPath, '')
          return { close: async () => undefined }
        }
      : undefined,
  })
  return { dir, served, handle }
}

describe('the agent phase network of a Codex task', () => {
  it('off still reaches the model and nothing else: a proxied sandbox with model.sock only', async () => {
    const { dir, served, handle } = await open('off', true)
    try {
      expect(handle.sandbox).toEqual({ kind: 'proxied', netDir: dir, transport: 'socket' })
      expect(handle.model).toBe(true)
      expect(handle.proxy).toBeUndefined()
      expect(served).toEqual([join(dir, 'model.sock')])
      expect(existsSync(join(dir, 'proxy.sock'))).toBe(false)
    } finally {
      await handle.close()
    }
    expect(existsSync(dir)).toBe(false)
  })

  it('without a model proxy, off is still no network at all', async () => {
    const { handle } = await open('off', false)
    expect(handle.sandbox).toEqual({ kind: 'none' })
    expect(handle.model).toBe(false)
  })

  it('registries serves both sockets', async () => {
    const { dir, handle } = await open('registries', true)
    try {
      expect(handle.model).toBe(true)
      expect(handle.proxy).toBeDefined()
      expect(existsSync(join(dir, 'proxy.sock'))).toBe(true)
      expect(existsSync(join(dir, 'model.sock'))).toBe(true)
    } finally {
      await handle.close()
    }
  })

  it('full is refused with a clear error (the bridge has no way to model.sock)', async () => {
    const err = await appErrorOf(open('full', true))
    expect(err.kind).toBe('unsupported')
    expect(err.message).toContain('"full"')
  })
})

describe('the Responses API probe', () => {
  it('passes an endpoint with the Responses API, without running a model', async () => {
    const model = await startModelServer([], { apiKey: 'sk-real-key-123' })
    try {
      await probeResponsesApi(model.baseURL, 'sk-real-key-123')
      expect(model.hits).toEqual([
        { method: 'POST', path: '/v1/responses', authorization: 'Bearer sk-real-key-123' },
      ])
      expect(model.requests).toEqual([])
    } finally {
      await model.close()
    }
  })

  it('names the endpoint that has none, and says when the key is refused', async () => {
    const chatOnly = await startModelServer([], { apis: ['chat'], apiKey: 'k' })
    try {
      const missing = await appErrorOf(probeResponsesApi(chatOnly.baseURL, 'k'))
      expect(missing.kind).toBe('unsupported')
      expect(missing.message).toBe(
        `The model endpoint ${chatOnly.baseURL} has no Responses API (POST ${chatOnly.baseURL}/responses answered 404); the Codex runtime needs it.`,
      )
      expect((await appErrorOf(probeResponsesApi(chatOnly.baseURL, 'wrong'))).kind).toBe('auth_failed')
    } finally {
      await chatOnly.close()
    }
  })
})

describe('the Codex image variant and command', () => {
  it('leaves the variant out of the agent image tag, and tags the variant from both', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'Dockerfile'), 'FROM x\n')
    const base = await agentImageTag(dir, 'debian')
    await mkdir(join(dir, 'codex'))
    await writeFile(join(dir, 'codex', 'Dockerfile'), 'FROM y\n')
    expect(await agentImageTag(dir, 'debian')).toBe(base)
    const variant = await variantImageTag(dir, 'codex', base)
    expect(variant).toMatch(/^codex-sys-agent:codex-[0-9a-f]{12}$/)
    expect(await variantImageTag(dir, 'codex', 'codex-sys-agent:other')).not.toBe(variant)
    await writeFile(join(dir, 'codex', 'Dockerfile'), 'FROM z\n')
    expect(await variantImageTag(dir, 'codex', base)).not.toBe(variant)
  })

  it('points Codex at the model proxy with only the placeholder variable, and resumes a thread', () => {
    const toml = codexConfigToml('gpt-5')
    expect(toml).toContain('base_url = "http://127.0.0.1:3129/v1"')
    expect(toml).toContain('env_key = "CODEX_SYS_MODEL_KEY"')
    expect(toml).toContain('wire_api = "responses"')
    expect(codexArgv({ model: 'gpt-5' })).toEqual([
      'codex',
      'exec',
      '--json',
      '--skip-git-repo-check',
      '--dangerously-bypass-approvals-and-sandbox',
      '-C',
      '/workspace',
      '-m',
      'gpt-5',
      '-',
    ])
    expect(codexArgv({ model: 'gpt-5', resumeThread: 't-1' }).slice(0, 3)).toEqual([
      'codex',
      'exec',
      'resume',
    ])
    expect(codexArgv({ model: 'gpt-5', resumeThread: 't-1' }).slice(-2)).toEqual(['t-1', '-'])
  })
})
