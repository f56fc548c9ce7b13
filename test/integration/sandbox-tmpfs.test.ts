import { randomBytes } from 'node:crypto'
import type Docker from 'dockerode'
import { beforeAll, describe, expect, it } from 'vitest'
import { giveWorkspaceTo, Sandbox, sandboxUser } from '../../src/main/docker/sandbox'
import { requireDocker, testImage } from '../support/docker'
import { tempDir } from '../support/tmp'

let docker: Docker
beforeAll(async () => {
  docker = await requireDocker()
})

describe('the sandbox tmpfs mounts have a size (settings sandbox.tmpfsMb)', () => {
  it('a write past the size into /tmp or HOME fails with ENOSPC, and the limit shows in df', async () => {
    const workspace = await tempDir('codex-sandbox-')
    await giveWorkspaceTo(workspace, sandboxUser())
    const sandbox = await Sandbox.create(docker, {
      taskId: `test-tmpfs-${randomBytes(4).toString('hex')}`,
      image: testImage(),
      workspace,
      memoryMb: 512,
      cpus: 1,
      pidsLimit: 128,
      tmpfsMb: 16,
      network: { kind: 'none' },
    })
    try {
      const sh = (script: string) => sandbox.exec(['sh', '-c', script])
      for (const dir of ['/tmp', '$HOME']) {
        const fill = await sh(`dd if=/dev/zero of=${dir}/fill bs=1M count=32 2>&1; echo "exit $?"`)
        expect(fill.stdout).toMatch(/No space left on device/)
        expect(fill.stdout).toMatch(/exit 1/)
        const size = await sh(`stat -c %s ${dir}/fill`)
        expect(Number(size.stdout.trim())).toBeLessThanOrEqual(16 * 1024 * 1024)
        await sh(`rm -f ${dir}/fill`)
      }
      const df = await sh('df -k /tmp "$HOME" | tail -n 2')
      for (const line of df.stdout.trim().split('\n')) expect(line.split(/\s+/)[1]).toBe(String(16 * 1024))
    } finally {
      await sandbox.remove()
    }
  })
})
