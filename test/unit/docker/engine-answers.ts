import type { EngineAnswers } from '../../../src/main/docker/engine-kind'

/**
 * Engines' answers, trimmed to the fields engine-kind.ts reads. The first three were recorded on the
 * Debian bookworm test machine (cgroup v1, no systemd) with scripts/rootless-podman.sh; the last two are
 * what the same engines answer on a cgroup v2 host with systemd (Fedora, Ubuntu 22.04+), from their
 * documented fields.
 */

/** docker.io 20.10 running as root. */
export const DOCKER_ROOTFUL: EngineAnswers = {
  info: {
    ServerVersion: '20.10.24+dfsg1',
    OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    SecurityOptions: ['name=seccomp,profile=default'],
    CgroupVersion: '1',
    CgroupDriver: 'cgroupfs',
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    PidsLimit: true,
    DockerRootDir: '/var/lib/docker',
    Warnings: null,
  },
  version: {
    Platform: { Name: '' },
    Components: [
      { Name: 'Engine', Version: '20.10.24+dfsg1' },
      { Name: 'containerd', Version: '1.6.20~ds1' },
      { Name: 'runc', Version: '1.1.5+ds1' },
      { Name: 'docker-init', Version: '0.19.0' },
    ],
    Version: '20.10.24+dfsg1',
    ApiVersion: '1.41',
  },
}

/** The same docker.io as user codex-podman (uid 1001), dockerd-rootless.sh, on cgroup v1. */
export const DOCKER_ROOTLESS_V1: EngineAnswers = {
  info: {
    ServerVersion: '20.10.24+dfsg1',
    OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    SecurityOptions: ['name=seccomp,profile=default', 'name=rootless'],
    CgroupVersion: '1',
    CgroupDriver: 'none',
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    PidsLimit: false,
    DockerRootDir: '/home/codex-podman/.local/share/docker',
    Warnings: [
      'WARNING: Running in rootless-mode without cgroups. To enable cgroups in rootless-mode, you need to boot the system in cgroup v2 mode.',
    ],
  },
  version: DOCKER_ROOTFUL.version,
  rootDirOwner: { uid: 1001, gid: 1001 },
}

/** Podman 4.3.1 as user codex-podman (uid 1001), cgroupfs, cgroup v1; `libpod` is GET /libpod/info. */
export const PODMAN_ROOTLESS_V1: EngineAnswers = {
  info: {
    ServerVersion: '4.3.1',
    OperatingSystem: 'debian',
    SecurityOptions: ['name=seccomp,profile=default'],
    CgroupVersion: '1',
    CgroupDriver: 'cgroupfs',
    // Podman's compat /info reports the host kernel's controllers, not what a rootless container gets.
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    PidsLimit: true,
    DockerRootDir: '/home/codex-podman/.local/share/containers/storage',
    Rootless: true,
    BuildahVersion: '1.28.2',
    Warnings: [],
  },
  version: {
    Platform: { Name: 'linux/amd64/debian-12' },
    Components: [
      { Name: 'Podman Engine', Version: '4.3.1' },
      { Name: 'Conmon', Version: 'conmon version 2.1.6, commit: unknown' },
      { Name: 'OCI Runtime (runc)', Version: 'runc version 1.1.5+ds1' },
    ],
    Version: '4.3.1',
    ApiVersion: '1.41',
  },
  libpod: {
    host: {
      cgroupManager: 'cgroupfs',
      cgroupVersion: 'v1',
      cgroupControllers: [],
      idMappings: {
        gidmap: [
          { container_id: 0, host_id: 1001, size: 1 },
          { container_id: 1, host_id: 100000, size: 65536 },
        ],
        uidmap: [
          { container_id: 0, host_id: 1001, size: 1 },
          { container_id: 1, host_id: 100000, size: 65536 },
        ],
      },
      security: { rootless: true, seccompEnabled: true, selinuxEnabled: false },
    },
  },
  rootDirOwner: { uid: 1001, gid: 1001 },
}

/** Rootless Podman on Fedora: cgroup v2, systemd delegating memory and pids (not cpu), SELinux on. */
export const PODMAN_ROOTLESS_FEDORA: EngineAnswers = {
  info: {
    ServerVersion: '4.9.4',
    OperatingSystem: 'fedora',
    SecurityOptions: ['name=seccomp,profile=default', 'name=rootless', 'name=selinux'],
    CgroupVersion: '2',
    CgroupDriver: 'systemd',
    MemoryLimit: true,
    CpuCfsQuota: true,
    PidsLimit: true,
    Rootless: true,
    BuildahVersion: '1.33.7',
  },
  version: { Platform: { Name: 'linux/amd64/fedora-39' }, Components: [{ Name: 'Podman Engine' }] },
  libpod: {
    host: {
      cgroupManager: 'systemd',
      cgroupVersion: 'v2',
      cgroupControllers: ['memory', 'pids'],
      idMappings: {
        uidmap: [{ container_id: 0, host_id: 1000, size: 1 }],
        gidmap: [{ container_id: 0, host_id: 1000, size: 1 }],
      },
      security: { rootless: true, selinuxEnabled: true },
    },
  },
}

/** Rootless Docker CE on cgroup v2 with systemd, all controllers delegated. */
export const DOCKER_ROOTLESS_V2: EngineAnswers = {
  info: {
    ServerVersion: '27.3.1',
    OperatingSystem: 'Ubuntu 24.04.1 LTS',
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns'],
    CgroupVersion: '2',
    CgroupDriver: 'systemd',
    MemoryLimit: true,
    CpuCfsQuota: true,
    PidsLimit: true,
    DockerRootDir: '/home/alice/.local/share/docker',
  },
  version: { Platform: { Name: 'Docker Engine - Community' }, Components: [{ Name: 'Engine' }] },
  rootDirOwner: { uid: 1000, gid: 1000 },
}
