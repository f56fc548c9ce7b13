import type { Api } from '../../../src/shared/api'
import { createFakeApi } from './app-fake-api'

/**
 * Import this first in a component test: it installs the fake as `window.api` before the renderer's
 * modules (which pick their bridge when first imported) load.
 */
export const fake = createFakeApi()
;(globalThis as unknown as { api: Api }).api = fake.api
