import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  cacheKeyComments,
  computeSetupCacheKey,
  findLockfiles,
} from '../../../src/main/engine/setup-cache-key'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** The setup cache's key (engine/setup-cache-key.ts): what changes it and what does not. */
async function repo(files: Record<string, string> = {}): Promise<string> {
  const ws = join(await tempDir('codex-cache-key-'), 'workspace')
  await writeFiles(ws, { 'package-lock.json': '{"v":1}\n', 'src/a.ts': 'a\n', ...files })
  return ws
}

const SCRIPT = 'npm ci\n'
const keyOf = (
  workspace: string,
  script = SCRIPT,
  image = 'codex-sys/agent:abc',
  platform = 'linux/amd64',
): string => computeSetupCacheKey({ image, platform, script, workspace }).key

describe('computeSetupCacheKey', () => {
  it('is the same for the same image, script and lockfiles, whatever the other files', async () => {
    const a = await repo()
    const b = await repo({ 'src/a.ts': 'changed source\n', 'README.md': 'x\n' })
    expect(keyOf(a)).toMatch(/^[0-9a-f]{64}$/)
    expect(keyOf(b)).toBe(keyOf(a))
  })

  it('changes with the image, the engine’s platform, the script and a lockfile’s content', async () => {
    const ws = await repo()
    const base = keyOf(ws)
    expect(keyOf(ws, SCRIPT, 'codex-sys/agent:def')).not.toBe(base)
    // The same image tag on an arm64 build box: what setup installed there does not run here.
    expect(keyOf(ws, SCRIPT, 'codex-sys/agent:abc', 'linux/arm64')).not.toBe(base)
    expect(keyOf(ws, 'npm install\n')).not.toBe(base)
    await writeFile(join(ws, 'package-lock.json'), '{"v":2}\n')
    expect(keyOf(ws)).not.toBe(base)
  })

  it('finds lockfiles a few levels deep, not in node_modules, .git or through links', async () => {
    const ws = await repo({
      'packages/web/yarn.lock': 'y\n',
      'services/api/requirements-dev.txt': 'pytest\n',
      'a/b/c/go.sum': 'deep enough\n',
      'a/b/c/d/Cargo.lock': 'too deep\n',
      'node_modules/x/package-lock.json': 'installed\n',
      '.git/poetry.lock': 'vcs\n',
    })
    const outside = await tempDir('codex-cache-key-outside-')
    await writeFile(join(outside, 'Gemfile.lock'), 'outside\n')
    await symlink(outside, join(ws, 'linked'))
    await symlink(join(outside, 'Gemfile.lock'), join(ws, 'Gemfile.lock'))
    expect(findLockfiles(ws)).toEqual([
      'a/b/c/go.sum',
      'package-lock.json',
      'packages/web/yarn.lock',
      'services/api/requirements-dev.txt',
    ])
  })

  it('a deep lockfile changes the key; a skipped one does not', async () => {
    const ws = await repo({ 'packages/web/yarn.lock': 'y\n', 'node_modules/x/yarn.lock': 'n\n' })
    const base = keyOf(ws)
    await writeFile(join(ws, 'node_modules/x/yarn.lock'), 'n2\n')
    expect(keyOf(ws)).toBe(base)
    await writeFile(join(ws, 'packages/web/yarn.lock'), 'y2\n')
    expect(keyOf(ws)).not.toBe(base)
  })

  it('takes files named by `# cache-key:` comments, clean relative paths only', async () => {
    const script =
      '#!/bin/bash\n# cache-key: tools/versions.json\n#cache-key: ../etc/passwd\n# cache-key: /etc/x\nmake\n'
    expect(cacheKeyComments(script)).toEqual(['tools/versions.json'])
    const ws = await repo()
    await mkdir(join(ws, 'tools'))
    await writeFile(join(ws, 'tools/versions.json'), '{"node":20}\n')
    const base = keyOf(ws, script)
    expect(
      computeSetupCacheKey({ image: 'i', platform: 'linux/amd64', script, workspace: ws }).files,
    ).toContain('tools/versions.json')
    await writeFile(join(ws, 'tools/versions.json'), '{"node":22}\n')
    expect(keyOf(ws, script)).not.toBe(base)
  })

  it('a lockfile added where there was none changes the key', async () => {
    const ws = await repo()
    const base = keyOf(ws)
    await writeFile(join(ws, 'requirements.txt'), 'flask\n')
    expect(keyOf(ws)).not.toBe(base)
  })
})
