import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enginePlan } from '../../src/main/docker/engine-kind'
import {
  giveWorkspaceTo,
  prepareSandboxHome,
  Sandbox,
  sandboxUser,
  type SandboxSpec,
} from '../../src/main/docker/sandbox'
import { testImage } from '../support/docker'
import {
  runEngineTaskAsUser,
  startRootless,
  stopRootless,
  userDir,
  type RootlessEngine,
  type RootlessKind,
} from './rootless-engines'

const rand = (): string => randomBytes(4).toString('hex')

const EXPECTED = {
  podman: { name: 'Podman', kind: 'podman-rootless', usernsMode: 'keep-id', rootInside: false },
  docker: { name: 'Docker', kind: 'docker-rootless', usernsMode: undefined, rootInside: true },
} as const

/**
 * The sandbox on a user-namespaced engine run by the unprivileged user codex-podman
 * (scripts/rootless-podman.sh, here on cgroup v1 without systemd): the container's files must land as
 * that user on the host, or every write to the workspace fails. Podman runs the container as the user
 * itself (keep-id); rootless Docker as 0:0, which is the user on the host.
 */
export function rootlessSuite(kind: RootlessKind): void {
  const expected = EXPECTED[kind]
  let engine: RootlessEngine
  let root: string
  beforeAll(async () => {
    const started = Date.now()
    engine = startRootless(kind, [testImage()])
    console.log(
      `[rootless-${kind}] engine and image ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
    root = await userDir(engine.user)
  })
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true })
    stopRootless(kind)
  })

  describe(`a sandbox on rootless ${expected.name}`, () => {
    let sandbox: Sandbox
    let workspace: string
    let home: string
    let spec: SandboxSpec

    beforeAll(async () => {
      workspace = join(root, `ws-${rand()}`)
      home = join(root, `home-${rand()}`)
      await mkdir(workspace)
      await writeFile(join(workspace, 'from-host.txt'), 'host\n')
      // As the engine does when the app runs as root: handed to the agent user, which Podman cannot map.
      await giveWorkspaceTo(workspace, sandboxUser())
      await prepareSandboxHome(home, sandboxUser())
      spec = {
        taskId: `test-rootless-${rand()}`,
        image: testImage(),
        workspace,
        home,
        memoryMb: 256,
        cpus: 1,
        pidsLimit: 128,
        tmpfsMb: 64,
        network: { kind: 'none' },
      }
      sandbox = await Sandbox.create(engine.docker, spec)
    })
    afterAll(async () => {
      await sandbox?.remove()
    })

    const sh = (script: string) => sandbox.exec(['sh', '-c', script])

    it('is detected, with no limits on cgroup v1, said so', async () => {
      const plan = await enginePlan(engine.docker, sandboxUser())
      const inside = expected.rootInside ? { uid: 0, gid: 0 } : engine.user
      expect(plan).toMatchObject({ kind: expected.kind, user: inside, hostOwner: engine.user })
      expect(plan.usernsMode).toBe(expected.usernsMode)
      expect(plan.limits).toEqual({ memory: false, cpu: false, pids: false })
      expect(sandbox.user).toEqual(inside)
      expect(sandbox.notes).toEqual([
        expect.stringMatching(new RegExp(`^Rootless ${expected.name} cannot apply .*cgroup v1`)),
      ])
      const info = await engine.docker.getContainer(sandbox.id).inspect()
      expect(info.HostConfig.ReadonlyRootfs).toBe(true)
      expect(info.HostConfig.NetworkMode).toBe('none')
    })

    it('runs as the engine user (Podman) or its root (Docker), with no capabilities and no-new-privileges', async () => {
      const id = await sh('id -u; id -g')
      const inside = expected.rootInside ? { uid: 0, gid: 0 } : engine.user
      expect(id.stdout.trim().split('\n')).toEqual([String(inside.uid), String(inside.gid)])
      const status = await sh('grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status')
      expect(status.stdout).toMatch(/CapEff:\s+0000000000000000/)
      expect(status.stdout).toMatch(/CapPrm:\s+0000000000000000/)
      expect(status.stdout).toMatch(/NoNewPrivs:\s+1/)
      expect((await sh('touch /etc/x')).stderr).toMatch(/Read-only file system/)
    })

    it('writes the workspace and HOME: the files land as the host user, who can read and change them', async () => {
      const w = await sh(
        'set -e; echo made > /workspace/made.txt; mkdir -p /workspace/sub/deep; echo deep > /workspace/sub/deep/f; ' +
          'echo more >> /workspace/from-host.txt; echo kept > "$HOME/kept"; ls -ln /workspace',
      )
      expect(w).toMatchObject({ exitCode: 0 })
      for (const path of ['made.txt', 'sub', 'sub/deep/f', 'from-host.txt']) {
        const st = await stat(join(workspace, path))
        expect({ path, uid: st.uid, gid: st.gid }).toEqual({ path, ...engine.user })
      }
      expect((await stat(join(home, 'kept'))).uid).toBe(engine.user.uid)
      expect(await readFile(join(workspace, 'from-host.txt'), 'utf8')).toBe('host\nmore\n')
      // The host user itself (not root) reads and changes what the container wrote, and the other way round.
      expect(engine.asUser(['cat', join(workspace, 'sub/deep/f')])).toBe('deep\n')
      engine.asUser(['sh', '-c', `echo host-edit >> ${join(workspace, 'made.txt')}`])
      engine.asUser(['sh', '-c', `echo new > ${join(workspace, 'sub/by-host.txt')}`])
      const back = await sh(
        'cat /workspace/made.txt; echo ok >> /workspace/sub/by-host.txt && cat /workspace/sub/by-host.txt',
      )
      expect(back).toMatchObject({ exitCode: 0, stdout: 'made\nhost-edit\nnew\nok\n' })
    })

    it('gives a tmpfs HOME (no home directory) to the container user', async () => {
      const bare = await Sandbox.create(engine.docker, { ...spec, home: undefined })
      try {
        const inside = expected.rootInside ? 0 : engine.user.uid
        const r = await bare.exec(['sh', '-c', 'touch "$HOME/x" && stat -c %u "$HOME"'])
        expect(r).toMatchObject({ exitCode: 0, stdout: `${inside}\n` })
      } finally {
        await bare.remove()
      }
    })
  })

  describe(`the engine on rootless ${expected.name}, run as its user`, () => {
    it('runs a scripted task end to end: setup, the agent’s edits as the user, the diff', async () => {
      const result = await runEngineTaskAsUser(engine)
      console.log(`[rootless-${kind}] engine task in ${result.seconds.toFixed(1)} s`)
      const inside = expected.rootInside ? 0 : engine.user.uid
      expect(result).toMatchObject({
        status: 'review',
        files: ['added src/new.txt', 'modified app.txt'],
        owners: { 'app.txt': engine.user.uid, 'src/new.txt': engine.user.uid },
        // The setup phase's `registries` network: the relay to the host's proxy socket came up.
        setupLog: `setup as ${inside} via http://127.0.0.1:3128\n`,
        toolOutput: `Exit code: 0\nstdout:\n${inside}\n`,
      })
    })
  })
}
