import { win32 } from 'node:path'

/**
 * Where the desktop app keeps its userData (settings, the single-instance lock, and `data/` with every
 * task). Electron's default on Windows is the roaming profile (%APPDATA%), which is copied to and from
 * the domain server at every sign-in: tasks, clones and logs belong in %LOCALAPPDATA%. Elsewhere
 * Electron's default stands (undefined). Call before anything reads userData (before the instance lock).
 */
export function userDataDir(opts: {
  appName: string
  platform?: NodeJS.Platform
  env?: NodeJS.ProcessEnv
}): string | undefined {
  const platform = opts.platform ?? process.platform
  if (platform !== 'win32') return undefined
  const env = opts.env ?? process.env
  const local = env.LOCALAPPDATA || (env.USERPROFILE ? win32.join(env.USERPROFILE, 'AppData', 'Local') : '')
  return local ? win32.join(local, opts.appName) : undefined
}
