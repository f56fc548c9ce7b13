import { afterEach, expect, it } from 'vitest'
import { imageRegistry } from '../../../src/main/docker/image'
import { defaultSettings, DEFAULT_AGENT_IMAGE_REGISTRY } from '../../../src/shared/settings'

const saved = process.env.CODEX_IMAGE_REGISTRY
afterEach(() => {
  if (saved === undefined) delete process.env.CODEX_IMAGE_REGISTRY
  else process.env.CODEX_IMAGE_REGISTRY = saved
})

it('pulls from the registry in Settings (the published one by default) unless CODEX_IMAGE_REGISTRY says otherwise', () => {
  delete process.env.CODEX_IMAGE_REGISTRY
  expect(imageRegistry(defaultSettings())).toBe(DEFAULT_AGENT_IMAGE_REGISTRY)
  expect(imageRegistry({ agentImage: { registry: '127.0.0.1:5000/agent' } })).toBe('127.0.0.1:5000/agent')
  process.env.CODEX_IMAGE_REGISTRY = ''
  expect(imageRegistry(defaultSettings())).toBe('')
})
