import { fileURLToPath } from 'node:url'

/** The agent image's build context in this checkout (`agent-image/` at the repository root). */
export const agentImageDir = (): string => fileURLToPath(new URL('../../../agent-image', import.meta.url))
