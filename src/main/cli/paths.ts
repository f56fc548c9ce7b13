import { homedir } from 'node:os'
import { join, win32 } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The agent image's build context in this checkout (`agent-image/` at the repository root). */
export const agentImageDir = (): string => fileURLToPath(new URL('../../../agent-image', import.meta.url))

/**
 * Where `npm run task` and `npm run serve` keep tasks when neither --data-dir nor CODEX_DATA_DIR says:
 * %LOCALAPPDATA%\codex-sys on Windows (not the roaming profile), ~/.local/share/codex-sys elsewhere.
 */
export function defaultDataDir(
  opts: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv; home?: string } = {},
): string {
  const platform = opts.platform ?? process.platform
  const env = opts.env ?? process.env
  const home = opts.home ?? homedir()
  if (platform === 'win32') {
    return win32.join(env.LOCALAPPDATA || win32.join(home, 'AppData', 'Local'), 'codex-sys')
  }
  return join(home, '.local/share/codex-sys')
}
