import type { DockerState, DockerStatus } from '../../../../shared/system'

/** The Docker screen's heading for each state (an older engine without `state`: not running). */
const TITLES: Record<DockerState, string> = {
  ready: 'Docker is running',
  not_installed: 'Docker is not installed',
  not_running: 'Docker is not running',
  no_permission: 'No permission to use Docker',
  windows_containers: 'Docker is in Windows containers mode',
  waking: 'Docker is waking up',
  engine_error: 'Docker answered with an error',
}

/** The short label in Settings → Docker. */
const PILLS: Record<DockerState, string> = {
  ready: 'Running',
  not_installed: 'Not installed',
  not_running: 'Not reachable',
  no_permission: 'Permission denied',
  windows_containers: 'Windows containers',
  waking: 'Waking up…',
  engine_error: 'Error',
}

export const dockerTitle = (docker: DockerStatus): string =>
  TITLES[docker.state ?? (docker.reachable ? 'ready' : 'not_running')]

export const dockerPill = (docker: DockerStatus): string =>
  PILLS[docker.state ?? (docker.reachable ? 'ready' : 'not_running')]

/** Whether the install-and-start steps help (not for a permission, a mode or a wake-up). */
export const showsInstallSteps = (docker: DockerStatus): boolean =>
  !docker.state || docker.state === 'not_installed' || docker.state === 'not_running'

/** "2 CPUs, 1954 MB" of the engine, for the facts list. */
export function engineSize(docker: DockerStatus): string | undefined {
  const e = docker.engine
  if (!e || (e.cpus === undefined && e.memoryMb === undefined)) return undefined
  return [
    e.cpus === undefined ? undefined : `${e.cpus} CPU${e.cpus === 1 ? '' : 's'}`,
    e.memoryMb === undefined ? undefined : `${e.memoryMb} MB`,
  ]
    .filter(Boolean)
    .join(', ')
}
