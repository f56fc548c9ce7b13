import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { shipBack, shipIn, type Manifest } from '../../src/main/docker/workspace-ship'
import { appErrorOf } from '../support/files'
import { listHost, sh, shipTarget, startVolumeContainer } from '../integration/workspace-ship-fixture'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'

/**
 * A hostile agent in a shipped workspace (issue 15): what it leaves in the volume comes back through
 * shipBack, and the host dir outside the workspace (the planted home) stays untouched.
 */
async function shippedCase(planted: Planted, prepare?: (ws: string) => Promise<void>) {
  const target = await shipTarget()
  const ws = join(planted.dataDir, 'tasks', target.taskId, 'workspace')
  await mkdir(join(ws, 'src'), { recursive: true })
  await writeFile(join(ws, 'src/app.js'), 'console.log(1)\n')
  await writeFile(join(ws, 'README.md'), '# app\n')
  await prepare?.(ws)
  const { manifest } = await shipIn(target.docker, { ...target, hostDir: ws })
  const container = await startVolumeContainer(target.docker, target)
  const back = (m: Manifest, limits?: Parameters<typeof shipBack>[2]['limits']) =>
    shipBack(target.docker, { container }, { manifest: m, hostDir: ws, limits })
  return { target, ws, manifest, container, back }
}

describe('a hostile agent in a shipped workspace', () => {
  it('src replaced by a link to /etc, then src/x written: only the link comes back, never followed', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    await sh(c.container, 'rm -r src && ln -s /etc src && (echo pwned > src/x 2>/dev/null; true)')
    const back = await c.back(c.manifest)
    expect(back.changed).toEqual(['src'])
    expect(await readlink(join(c.ws, 'src'))).toBe('/etc')
    await expect(stat('/etc/x')).rejects.toThrow()
    await expectHeld(planted)
  })

  it('a link of the user’s own that points home, replaced by a real folder: written inside, not through it', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted, (ws) => symlink(join(planted.outside, '.ssh'), join(ws, 'keys')))
    await sh(c.container, 'rm keys && mkdir keys && echo pwned > keys/id_ed25519')
    const back = await c.back(c.manifest)
    expect(back.changed.sort()).toEqual(['keys', 'keys/id_ed25519'])
    expect((await lstat(join(c.ws, 'keys'))).isDirectory()).toBe(true)
    expect(await readFile(join(c.ws, 'keys/id_ed25519'), 'utf8')).toBe('pwned\n')
    await expectHeld(planted)
  })

  it('a folder swapped for a link home between two turns: the second turn’s writes stay in the workspace', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    await sh(c.container, 'mkdir build && echo one > build/out.txt')
    const first = await c.back(c.manifest)
    await sh(c.container, `rm -r build && ln -s ${planted.outside} build && echo x > notes.txt`)
    const second = await c.back(first.manifest)
    expect(second.deleted).toEqual(['build/out.txt'])
    expect(second.changed.sort()).toEqual(['build', 'notes.txt'])
    expect(await readlink(join(c.ws, 'build'))).toBe(planted.outside)
    await expectHeld(planted)
  })

  it('a file turned into a FIFO neither hangs nor comes back; it counts as deleted', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    await sh(c.container, 'rm README.md && mkfifo README.md && mkfifo src/pipe')
    const back = await c.back(c.manifest)
    expect(back.deleted).toEqual(['README.md'])
    expect(back.skipped.map((s) => s.path).sort()).toEqual(['README.md', 'src/pipe'])
    await expect(lstat(join(c.ws, 'README.md'))).rejects.toThrow()
    await expectHeld(planted)
  })

  it('setuid and setgid bits never reach the host', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    await sh(c.container, 'printf "#!/bin/sh\\n" > suid.sh && chmod 6755 suid.sh && chmod 4755 src/app.js')
    const back = await c.back(c.manifest)
    expect(back.changed.sort()).toEqual(['src/app.js', 'suid.sh'])
    expect((await stat(join(c.ws, 'suid.sh'))).mode & 0o7777).toBe(0o755)
    expect((await stat(join(c.ws, 'src/app.js'))).mode & 0o7777).toBe(0o755)
    await expectHeld(planted)
  })

  it('names with a newline, .git and its aliases never land in the workspace', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    await sh(
      c.container,
      'mkdir -p .git/hooks sub/.git .GIT && echo evil > .git/hooks/pre-commit && echo evil > sub/.git/config && ' +
        'echo evil > .GIT/config && echo evil > "$(printf "line\\nbreak")" && echo ok > fine.txt',
    )
    const back = await c.back(c.manifest)
    expect(back.changed.sort()).toEqual(['fine.txt', 'sub'])
    expect(back.refused.map((r) => r.path).sort()).toEqual(['.GIT', '.GIT/config', 'line\nbreak'])
    const host = await listHost(c.ws)
    expect(host.entries.filter((e) => /\.git|break/iu.test(e))).toEqual([])
    await expectHeld(planted)
  })

  it('a tar bomb (more entries than the cap) is refused whole, with nothing applied', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    const before = await listHost(c.ws)
    await sh(
      c.container,
      'mkdir bomb && cd bomb && i=0; while [ $i -lt 600 ]; do echo $i > f$i; i=$((i+1)); done',
    )
    const err = await appErrorOf(c.back(c.manifest, { maxEntries: 500 }))
    expect(err.kind).toBe('unsafe_archive')
    expect(err.message).toContain('more than 500 entries')
    expect(await listHost(c.ws)).toEqual(before)
    await expectHeld(planted)
  })

  it('a usercustomize.py the agent plants in HOME does not run in the helper', async () => {
    const planted = await plantSecrets()
    const c = await shippedCase(planted)
    // Were it run, it would replace the helper's output with a stream the host refuses as a whole.
    const evil =
      'import os, sys\nsys.stdout.buffer.write(b"2\\n[]")\nsys.stdout.buffer.flush()\nos._exit(0)\n'
    await sh(
      c.container,
      `d=$(python3 -c 'import site; print(site.getusersitepackages())') && mkdir -p "$d" && ` +
        `cat > "$d/usercustomize.py" <<'EOF'\n${evil}EOF\necho x > new.txt`,
    )
    expect(await sh(c.container, 'python3 -c "print(1)"')).toContain('2\n[]')
    const back = await c.back(c.manifest)
    expect(back.changed).toEqual(['new.txt'])
    await expectHeld(planted)
  })
})
