import { expect, it } from 'vitest'
import { autoApiLabel } from '../../../src/renderer/src/features/settings/model-api-fields'

it('the Settings page names what auto means for the URL typed', () => {
  expect(autoApiLabel('')).toBe('auto: Responses API (api.openai.com)')
  expect(autoApiLabel('http://localhost:11434/v1')).toBe('auto: Chat Completions (other server)')
})
