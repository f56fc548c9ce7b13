import { expect, it } from 'vitest'
import { fieldErrors } from '../../../src/renderer/src/lib/errors'

it('reads the settings store’s refusal field by field, its first field too', () => {
  const error = {
    kind: 'invalid_input' as const,
    message:
      'Invalid settings: engines.0.certDir: A tcp:// engine needs its client certificates; maxConcurrentTasks: Too big.',
  }
  expect(fieldErrors(error)).toEqual({
    'engines.0.certDir': 'A tcp:// engine needs its client certificates',
    maxConcurrentTasks: 'Too big',
  })
})
