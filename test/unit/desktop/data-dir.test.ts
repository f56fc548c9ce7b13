import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { defaultDataDir } from '../../../src/main/cli/paths'
import { userDataDir } from '../../../src/main/desktop/data-dir'

const windows = {
  APPDATA: 'C:\\Users\\ann\\AppData\\Roaming',
  LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local',
  USERPROFILE: 'C:\\Users\\ann',
}

describe('where the data lives', () => {
  it('desktop on Windows: %LOCALAPPDATA%\\codex-sys, never the roaming profile', () => {
    const dir = userDataDir({ appName: 'codex-sys', platform: 'win32', env: windows })
    expect(dir).toBe('C:\\Users\\ann\\AppData\\Local\\codex-sys')
    expect(dir).not.toContain('Roaming')
    // Without LOCALAPPDATA, the same folder under the profile.
    expect(
      userDataDir({ appName: 'codex-sys', platform: 'win32', env: { USERPROFILE: 'C:\\Users\\ann' } }),
    ).toBe('C:\\Users\\ann\\AppData\\Local\\codex-sys')
  })

  it('desktop on macOS and Linux: Electron’s default stands', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      expect(userDataDir({ appName: 'codex-sys', platform, env: windows })).toBeUndefined()
    }
  })

  it('the main process sets it before the single-instance lock and anything else reads userData', async () => {
    const main = await readFile(fileURLToPath(new URL('../../../src/main/index.ts', import.meta.url)), 'utf8')
    const set = main.indexOf("app.setPath('userData', userData)")
    expect(set).toBeGreaterThan(0)
    expect(main).toMatch(/const userData = userDataDir\(\{ appName: app\.getName\(\) \}\)/)
    for (const reader of [
      'app.requestSingleInstanceLock()',
      "app.getPath('userData')",
      'openElectronSettings()',
    ]) {
      expect(main.indexOf(reader), reader).toBeGreaterThan(set)
    }
  })

  it('npm run task / serve: %LOCALAPPDATA%\\codex-sys on Windows, ~/.local/share/codex-sys elsewhere', () => {
    expect(defaultDataDir({ platform: 'win32', env: windows, home: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Local\\codex-sys',
    )
    expect(defaultDataDir({ platform: 'win32', env: {}, home: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Local\\codex-sys',
    )
    expect(defaultDataDir({ platform: 'linux', env: windows, home: '/home/ann' })).toBe(
      '/home/ann/.local/share/codex-sys',
    )
    expect(defaultDataDir({ platform: 'darwin', env: {}, home: '/Users/ann' })).toBe(
      '/Users/ann/.local/share/codex-sys',
    )
  })
})
