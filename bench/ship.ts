/**
 * Shipping a workspace into a Docker volume and bringing a turn's changes back (issue 15), on the
 * 10,000-file bench tree, against the docker CLI doing the same copy in the same run (support/ship-measure.ts):
 * on the local engine, and on a remote Docker-in-Docker engine over TLS that the benchmark starts, with the
 * agent image copied there first, and removes at the end, also on failure (support/ship-engine.ts).
 *
 * Then "copy, don't mount" on the local engine (support/ship-mount-copy.ts): a tool-heavy turn's work on a
 * bind mount against copy mode (ship-in, the same work on the volume, ship-back). On Linux a bind mount
 * costs nothing, so that ratio is copy mode's price. On Docker Desktop a bind mount crosses the VM, and the
 * published figures put the gain of working on the VM's own disk at several times:
 * - Docker, "Announcing Synchronized File Shares" (Docker Desktop 4.27, which keeps the files in an ext4
 *   cache inside the VM, as a volume has them): "2-10x faster file operation speeds" than bind mounts
 *   through VirtioFS, gRPC FUSE or osxfs.
 *   https://www.docker.com/blog/announcing-synchronized-file-shares/
 * - Docker, "Speed boost achievement unlocked on Docker Desktop 4.6 for Mac": VirtioFS cut the time of a
 *   284 MB MySQL import, a `composer install` and similar by 80-90% against gRPC FUSE, i.e. gRPC FUSE binds
 *   were 5-10× slower (figures as InfoQ reported them).
 *   https://www.docker.com/blog/speed-boost-achievement-unlocked-on-docker-desktop-4-6-for-mac/
 * - Independent, macOS 2025: VirtioFS bind mounts still ~3× slower than the VM's own disk (5-6× two years
 *   before). https://paolomainardi.com/posts/docker-performance-macos-2025
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchDocker } from './support/agent-image'
import { localShipEngine, remoteShipEngine } from './support/ship-engine'
import { measureShipping } from './support/ship-measure'
import { measureMountVsCopy } from './support/ship-mount-copy'
import { makeTree } from './support/tree'
import type { BenchResult } from './types'

const FILES = 10_000

export default async function bench(
  workDir = fileURLToPath(new URL('./.work', import.meta.url)),
): Promise<BenchResult[]> {
  const { docker, image } = await benchDocker()
  const work = join(workDir, 'ship')
  await rm(work, { recursive: true, force: true })
  const tree = join(work, 'tree')
  const stats = await makeTree(tree, { files: FILES })
  const results: BenchResult[] = []
  const local = localShipEngine(docker, image)
  try {
    results.push(...(await measureShipping(local, join(work, 'local'), tree, stats)))
    results.push(await measureMountVsCopy(local, join(work, 'mount-copy'), tree))
  } finally {
    await local.stop()
  }
  const remote = await remoteShipEngine(docker, image)
  try {
    results.push(...(await measureShipping(remote, join(work, 'remote'), tree, stats)))
  } finally {
    await remote.stop()
  }
  await rm(work, { recursive: true, force: true })
  return results
}
