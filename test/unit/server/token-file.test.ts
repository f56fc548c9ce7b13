import { watch } from 'node:fs'
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readTokenFile, writeTokenFile } from '../../../src/main/server/token-file'
import { tempDir } from '../../support/tmp'

const TOKEN = 'a-token-for-the-tests-0123456789'

describe('the token file', () => {
  it('is written 0600 whatever the umask, and no file in its directory is ever readable by others', async () => {
    const dir = await tempDir()
    const seen: string[] = []
    const loose: string[] = []
    // Every file that appears in the directory while it is (re)written, looked at the moment it shows up.
    const watcher = watch(dir, (_event, name) => {
      if (!name) return
      seen.push(name)
      void lstat(join(dir, name)).then(
        (info) => {
          if ((info.mode & 0o077) !== 0) loose.push(`${name} ${(info.mode & 0o777).toString(8)}`)
        },
        () => undefined,
      )
    })
    const before = process.umask(0)
    try {
      for (let i = 0; i < 50; i++) await writeTokenFile(dir, `${TOKEN}-${i}`)
    } finally {
      process.umask(before)
      await new Promise((r) => setTimeout(r, 100))
      watcher.close()
    }
    expect(seen.length).toBeGreaterThan(0)
    expect(loose).toEqual([])
    const info = await stat(join(dir, 'server-token'))
    expect(info.mode & 0o777).toBe(0o600)
    expect(await readFile(join(dir, 'server-token'), 'utf8')).toBe(`${TOKEN}-49\n`)
    expect(await readdir(dir)).toEqual(['server-token'])
  })

  it('creates the data directory private, and replaces a planted link instead of writing through it', async () => {
    const root = await tempDir()
    const dataDir = join(root, 'data')
    expect(await writeTokenFile(dataDir, TOKEN)).toBe(join(dataDir, 'server-token'))
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)

    const target = join(root, 'target')
    await writeFile(target, 'theirs\n', { mode: 0o644 })
    const other = join(root, 'other')
    await mkdir(other)
    await symlink(target, join(other, 'server-token'))
    await writeTokenFile(other, TOKEN)
    expect((await lstat(join(other, 'server-token'))).isFile()).toBe(true)
    expect(await readFile(target, 'utf8')).toBe('theirs\n')
  })

  it('reads a token only from a private regular file of reasonable size', async () => {
    const dir = await tempDir()
    const file = join(dir, 'token')
    await writeFile(file, `  ${TOKEN}\n`, { mode: 0o600 })
    expect(await readTokenFile(file)).toBe(TOKEN)

    await writeFile(join(dir, 'loose'), TOKEN, { mode: 0o640 })
    await expect(readTokenFile(join(dir, 'loose'))).rejects.toThrow(/other users \(mode 640\)/)
    await expect(readTokenFile(dir)).rejects.toThrow(/not a regular file/)
    await expect(readTokenFile(join(dir, 'missing'))).rejects.toThrow(/Can't read the token file/)
    await writeFile(join(dir, 'big'), 'x'.repeat(5000), { mode: 0o600 })
    await expect(readTokenFile(join(dir, 'big'))).rejects.toThrow(/larger than 4 KiB/)
    await writeFile(join(dir, 'short'), 'short\n', { mode: 0o600 })
    await expect(readTokenFile(join(dir, 'short'))).rejects.toThrow(/16 to 512 visible ASCII/)
    await writeFile(join(dir, 'two'), `${TOKEN} ${TOKEN}\n`, { mode: 0o600 })
    await expect(readTokenFile(join(dir, 'two'))).rejects.toThrow(/no spaces/)
  })
})
