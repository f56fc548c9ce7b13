import { statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { discoveryDefaults, type DiscoveryEnv } from './engine-discovery'

/** Programs whose presence says a container engine is installed (on PATH or in its usual place). */
const PROGRAMS = ['docker', 'dockerd', 'podman', 'colima', 'orbctl', 'rdctl']

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

/** The places each platform's engines install to, besides PATH (an app from the Dock has a bare PATH). */
function knownInstallPaths(d: ReturnType<typeof discoveryDefaults>): string[] {
  if (d.platform === 'darwin') {
    return [
      ...['Docker.app', 'OrbStack.app', 'Rancher Desktop.app', 'Podman Desktop.app'].flatMap((app) => [
        `${d.root}/Applications/${app}`,
        join(d.home, 'Applications', app),
      ]),
      ...['/opt/homebrew/bin', '/usr/local/bin'].flatMap((dir) =>
        ['docker', 'colima', 'podman'].map((p) => `${d.root}${dir}/${p}`),
      ),
      join(d.home, '.orbstack'),
      join(d.home, '.colima'),
      join(d.home, '.rd', 'bin'),
    ]
  }
  if (d.platform === 'win32') {
    const programFiles = d.env.ProgramFiles ?? d.env.PROGRAMFILES ?? 'C:\\Program Files'
    const local = d.env.LOCALAPPDATA ?? join(d.home, 'AppData', 'Local')
    return [
      join(programFiles, 'Docker', 'Docker', 'Docker Desktop.exe'),
      join(programFiles, 'RedHat', 'Podman', 'podman.exe'),
      join(programFiles, 'Rancher Desktop', 'Rancher Desktop.exe'),
      join(local, 'Programs', 'Rancher Desktop', 'Rancher Desktop.exe'),
      join(local, 'Programs', 'Podman Desktop', 'Podman Desktop.exe'),
    ]
  }
  return [
    ...['/usr/bin', '/usr/sbin', '/usr/local/bin', '/snap/bin'].flatMap((dir) =>
      ['docker', 'dockerd', 'podman'].map((p) => `${d.root}${dir}/${p}`),
    ),
    `${d.root}/opt/docker-desktop`,
    join(d.home, 'bin', 'dockerd'),
  ]
}

/**
 * Whether any container engine looks installed: a program on PATH or in a usual place. False means
 * "install one"; true with no answer means "start it".
 */
export function engineInstalled(opts: DiscoveryEnv = {}): boolean {
  const d = discoveryDefaults(opts)
  const exe = d.platform === 'win32' ? ['.exe', '.cmd', ''] : ['']
  const dirs = (d.env.PATH ?? d.env.Path ?? '')
    .split(d.platform === 'win32' ? ';' : delimiter)
    .filter(Boolean)
  for (const dir of dirs) {
    for (const program of PROGRAMS) {
      if (exe.some((suffix) => exists(join(dir, program + suffix)))) return true
    }
  }
  return knownInstallPaths(d).some(exists)
}
