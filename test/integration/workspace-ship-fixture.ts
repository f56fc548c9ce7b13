import { randomBytes } from 'node:crypto'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { onTestFinished } from 'vitest'
import { WORKSPACE_DIR } from '../../src/main/docker/container-spec'
import { createDemuxer } from '../../src/main/docker/exec-output'
import { forceRemoveContainer } from '../../src/main/docker/task-containers'
import { removeVolume, workspaceVolumeName } from '../../src/main/docker/workspace-ship'
import { requireDocker, testImage } from '../support/docker'

/** Real Docker, the agent image, and a fresh task id + volume name removed when the test ends. */
export async function shipTarget(): Promise<{
  docker: Docker
  image: string
  taskId: string
  volume: string
}> {
  const docker = await requireDocker()
  const taskId = `ship-test-${randomBytes(4).toString('hex')}`
  const volume = workspaceVolumeName(taskId)
  onTestFinished(async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`codex-sys.task=${taskId}`] } })
    await Promise.all(left.map((c) => forceRemoveContainer(docker, c.Id)))
    await removeVolume(docker, volume)
  })
  return { docker, image: testImage(), taskId, volume }
}

/**
 * A container of the agent image with the volume at /workspace, as the sandbox user, no network, running
 * `sleep infinity`: the task's container of a shipped workspace. Removed when the test ends.
 */
export async function startVolumeContainer(
  docker: Docker,
  target: { image: string; taskId: string; volume: string },
): Promise<Docker.Container> {
  const container = await docker.createContainer({
    Image: target.image,
    Cmd: ['sleep', 'infinity'],
    User: '10001:10001',
    WorkingDir: WORKSPACE_DIR,
    Labels: { 'codex-sys.task': target.taskId },
    HostConfig: {
      Init: true,
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: {
        '/tmp': 'rw,nosuid,nodev,mode=1777',
        '/home/agent': 'rw,nosuid,nodev,mode=0700,uid=10001,gid=10001',
      },
      Mounts: [{ Type: 'volume', Source: target.volume, Target: WORKSPACE_DIR }],
    },
  })
  onTestFinished(() => forceRemoveContainer(docker, container.id).then(() => undefined))
  await container.start()
  return container
}

/** Runs `script` with sh in the container (as the sandbox user, in /workspace); fails on a non-zero exit. */
export async function sh(container: Docker.Container, script: string): Promise<string> {
  const exec = await container.exec({
    Cmd: ['sh', '-c', script],
    User: '10001:10001',
    WorkingDir: WORKSPACE_DIR,
    AttachStdout: true,
    AttachStderr: true,
  })
  const stream = await exec.start({})
  let out = ''
  const demux = createDemuxer((_name, payload) => (out += payload.toString('utf8')))
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => demux(chunk))
    stream.on('end', resolve)
    stream.on('error', reject)
  })
  const { ExitCode } = await exec.inspect()
  if (ExitCode !== 0) throw new Error(`sh exited ${String(ExitCode)}: ${out}`)
  return out
}

/**
 * The tree under `/workspace` as `find` sees it in the container: one line per entry, sorted —
 * `<type> <mode> <uid> <path> [-> target]` — and for files the sha256 of each.
 */
export const LIST_VOLUME =
  "cd /workspace && find . -mindepth 1 -printf '%y %m %U %P -> %l\\n' | sort && " +
  "find . -type f -print0 | sort -z | xargs -0r sha256sum | sed 's#  \\./#  #'"

/** The same listing for a host tree (owner left out), to compare the two. */
export async function listHost(root: string): Promise<{ entries: string[]; hashes: string[] }> {
  const entries: string[] = []
  const files: string[] = []
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name
      const info = await lstat(join(root, path))
      const type = info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : info.isFile() ? 'f' : 'p'
      const target = type === 'l' ? await readlink(join(root, path)) : ''
      entries.push(`${type} ${(info.mode & 0o777).toString(8)} ${path} -> ${target}`)
      if (type === 'f') files.push(path)
      if (type === 'd') await visit(path)
    }
  }
  await visit('')
  const { createHash } = await import('node:crypto')
  const hashes: string[] = []
  for (const f of files.sort()) {
    hashes.push(
      `${createHash('sha256')
        .update(await readFile(join(root, f)))
        .digest('hex')}  ${f}`,
    )
  }
  return { entries: entries.sort(), hashes: hashes.sort() }
}

/** LIST_VOLUME's output split into entries (owner dropped, as `listHost` has it) and hashes. */
export function parseVolumeListing(text: string): {
  entries: string[]
  owners: Set<string>
  hashes: string[]
} {
  const lines = text.split('\n').filter(Boolean)
  const entries: string[] = []
  const owners = new Set<string>()
  const hashes: string[] = []
  for (const line of lines) {
    const m = /^([a-z]) (\d+) (\d+) (.*)$/u.exec(line)
    if (m) {
      entries.push(`${m[1] === 'f' ? 'f' : m[1]} ${m[2]} ${m[4]}`)
      owners.add(m[3] ?? '')
    } else hashes.push(line)
  }
  return { entries: entries.sort(), owners, hashes: hashes.sort() }
}
