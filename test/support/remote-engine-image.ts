import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { imageExists } from '../../src/main/docker/image'
import { jsonLineSplitter, parseBuildEvent } from '../../src/main/docker/build-output'

/**
 * The image of the test's second Docker engine: Debian's docker.io (dockerd, containerd, runc and the CLI that
 * `docker system dial-stdio` needs over SSH), openssh-server and iptables, on the local base image. Built once
 * per content: the tag is a hash of the Dockerfile and the base image's id.
 */
export const DIND_REPO = 'codex-sys-test/dind'

/**
 * The start script: waits until the test has written the certificates and keys into /etc/dind (`ready`),
 * makes the container's own cgroups writable (docker mounts them read-only in a container that is not
 * `--privileged`; see remote-engine.ts for why it is not), starts sshd with the test's host key and client
 * key, then dockerd on its unix socket and on TLS.
 */
const START_SCRIPT = `#!/bin/sh
set -eu
while [ ! -e /etc/dind/ready ]; do sleep 0.1; done
for d in /sys/fs/cgroup/*/; do mount -o remount,bind,rw "$d" 2>/dev/null || true; done
mkdir -p /run/sshd /root/.ssh
install -m 600 /etc/dind/authorized_keys /root/.ssh/authorized_keys
install -m 600 /etc/dind/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key
/usr/sbin/sshd -f /etc/ssh/sshd_config -h /etc/ssh/ssh_host_ed25519_key -E /var/log/sshd.log
exec dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2376 --tlsverify \\
  --tlscacert=/etc/dind/ca.pem --tlscert=/etc/dind/server-cert.pem --tlskey=/etc/dind/server-key.pem \\
  --storage-driver=overlay2 >/var/log/dockerd.log 2>&1
`

const DOCKERFILE = `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \\
 && apt-get install -y --no-install-recommends docker.io openssh-server iptables ca-certificates \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* \\
 && rm -f /etc/ssh/ssh_host_* \\
 && mkdir -p /root/.ssh /etc/dind && chmod 700 /root/.ssh \\
 && printf 'PermitRootLogin prohibit-password\\nPasswordAuthentication no\\nAuthorizedKeysFile /root/.ssh/authorized_keys\\n' \\
      > /etc/ssh/sshd_config.d/dind.conf
COPY dind-start /usr/local/bin/dind-start
RUN chmod 755 /usr/local/bin/dind-start
VOLUME /var/lib/docker
EXPOSE 2376 22
ENTRYPOINT ["/usr/local/bin/dind-start"]
`

/** `codex-sys-test/dind:<hash of the Dockerfile, the start script and the base image's id>`. */
export async function dindImageTag(docker: Docker, baseImage: string): Promise<string> {
  const base = await docker.getImage(baseImage).inspect()
  const hash = createHash('sha256').update(DOCKERFILE).update(START_SCRIPT).update(base.Id)
  return `${DIND_REPO}:${hash.digest('hex').slice(0, 12)}`
}

/** Builds the image when the engine does not have its tag yet; returns the tag. */
export async function ensureDindImage(
  docker: Docker,
  baseImage: string,
  onLine: (line: string) => void = () => undefined,
): Promise<string> {
  const tag = await dindImageTag(docker, baseImage)
  if (await imageExists(docker, tag)) return tag
  const dir = await mkdtemp(join(tmpdir(), 'codex-dind-context-'))
  try {
    await writeFile(join(dir, 'Dockerfile'), DOCKERFILE)
    await writeFile(join(dir, 'dind-start'), START_SCRIPT, { mode: 0o755 })
    await buildFrom(docker, dir, tag, baseImage, onLine)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return tag
}

async function buildFrom(
  docker: Docker,
  dir: string,
  tag: string,
  baseImage: string,
  onLine: (line: string) => void,
): Promise<void> {
  const stream = await docker.buildImage(
    { context: dir, src: ['Dockerfile', 'dind-start'] },
    { t: tag, buildargs: { BASE_IMAGE: baseImage }, rm: true, forcerm: true },
  )
  const last: string[] = []
  let error: string | undefined
  const feed = jsonLineSplitter((obj) => {
    const event = parseBuildEvent(obj)
    for (const line of event.lines) {
      last.push(line)
      onLine(line)
    }
    error ??= event.error
  })
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => feed(chunk))
    stream.on('end', () => resolve())
    stream.on('error', reject)
  })
  feed(null)
  if (error !== undefined || !(await imageExists(docker, tag))) {
    throw new Error(`Building ${tag} failed: ${error ?? 'no image'}\n${last.slice(-15).join('\n')}`)
  }
}
