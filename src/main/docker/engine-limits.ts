import type Docker from 'dockerode'
import type { SandboxLimitClamp } from '../../shared/system'
import { engineAnswers } from './engine-kind'
import { engineIdentity } from './engine-status'

/** What `docker info` says the engine (Docker Desktop's VM, Colima's, or the host) has. */
export interface EngineCapacity {
  /** NCPU */
  cpus?: number
  /** MemTotal, bytes */
  memTotal?: number
  /** Which engine, for what to tell the user to change. */
  product?: string
}

const MIB = 1024 * 1024
/** Left to the engine's own kernel and daemon when the sandbox is capped at the VM's memory. */
const MEMORY_SHARE = 0.9
const MIN_MEMORY_MB = 64

/** Where each engine's CPUs and memory are set. */
function moreResourcesHint(product: string | undefined, cpus: number, memoryMb: number): string {
  const gb = Math.ceil(memoryMb / 1024)
  switch (product) {
    case 'Docker Desktop':
      return 'Give Docker more in Docker Desktop → Settings → Resources, or lower the sandbox limits in Settings.'
    case 'OrbStack':
      return 'Give OrbStack more in its Settings → System, or lower the sandbox limits in Settings.'
    case 'Colima':
      return `Restart Colima bigger (\`colima stop && colima start --cpu ${Math.ceil(cpus)} --memory ${gb}\`), or lower the sandbox limits in Settings.`
    case 'Rancher Desktop':
      return 'Give Rancher Desktop more in Preferences → Virtual Machine, or lower the sandbox limits in Settings.'
    case 'Podman':
      return `Give Podman's machine more (\`podman machine stop && podman machine set --cpus ${Math.ceil(cpus)} --memory ${gb * 1024}\`), or lower the sandbox limits in Settings.`
    default:
      return 'Lower the sandbox limits in Settings to fit this machine.'
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * The sandbox's CPU and memory limits, lowered to fit the engine: Docker refuses more CPUs than the
 * engine has, and a memory limit above the engine's memory is no limit at all (the VM runs out first and
 * the kernel kills whatever it picks). Pure: `clamp` says what was lowered, absent when nothing was.
 */
export function clampSandboxLimits<T extends { cpus: number; memoryMb: number }>(
  limits: T,
  capacity: EngineCapacity,
): { limits: T; clamp?: SandboxLimitClamp } {
  const maxCpus = capacity.cpus && capacity.cpus > 0 ? capacity.cpus : Infinity
  const memTotalMb = capacity.memTotal && capacity.memTotal > 0 ? capacity.memTotal / MIB : Infinity
  const maxMemoryMb = Math.max(MIN_MEMORY_MB, Math.floor(memTotalMb * MEMORY_SHARE))
  const cpus = Math.min(limits.cpus, maxCpus)
  const memoryMb = Math.min(limits.memoryMb, maxMemoryMb)
  if (cpus === limits.cpus && memoryMb === limits.memoryMb) return { limits }
  const has = [
    Number.isFinite(maxCpus) ? plural(maxCpus, 'CPU') : undefined,
    Number.isFinite(memTotalMb) ? `${Math.round(memTotalMb)} MB of memory` : undefined,
  ]
    .filter(Boolean)
    .join(' and ')
  const lowered = [
    cpus !== limits.cpus ? `${plural(cpus, 'CPU')} instead of ${limits.cpus}` : undefined,
    memoryMb !== limits.memoryMb ? `${memoryMb} MB of memory instead of ${limits.memoryMb} MB` : undefined,
  ]
    .filter(Boolean)
    .join(' and ')
  const engine =
    capacity.product && capacity.product !== 'Docker Engine'
      ? `${capacity.product}'s VM`
      : 'The Docker engine'
  const message =
    `${engine} has ${has}, less than the sandbox limits in Settings: tasks run with ${lowered}. ` +
    moreResourcesHint(capacity.product, limits.cpus, limits.memoryMb)
  return {
    limits: { ...limits, cpus, memoryMb },
    clamp: {
      requested: { cpus: limits.cpus, memoryMb: limits.memoryMb },
      applied: { cpus, memoryMb },
      message,
    },
  }
}

/**
 * The limits a task's sandbox gets on this engine: Settings' limits clamped to `docker info` (the
 * engine's answers, asked once per connection: engine-kind.ts), with `note` told what was lowered (the
 * task's timeline shows it). An engine that does not answer `info` leaves the limits as they are
 * (creating the container will say what is wrong).
 */
export async function engineSandboxLimits<T extends { cpus: number; memoryMb: number }>(
  docker: Docker,
  limits: T,
  note?: (message: string) => void,
): Promise<T> {
  const { info, version } = (await engineAnswers(docker)) ?? {}
  if (!info) return limits
  const capacity: EngineCapacity = {
    cpus: typeof info.NCPU === 'number' ? info.NCPU : undefined,
    memTotal: typeof info.MemTotal === 'number' ? info.MemTotal : undefined,
    product: engineIdentity(info, version).name,
  }
  const { limits: applied, clamp } = clampSandboxLimits(limits, capacity)
  if (clamp) note?.(clamp.message)
  return applied
}
