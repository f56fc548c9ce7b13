import { z } from 'zod'

/**
 * The Docker engines tasks run on (DESIGN.md, "Engines"): the local one, always there, and the remote
 * ones of Settings → Engines, reached over TLS (`tcp://host:2376` with client certificates) or SSH
 * (`ssh://user@host`, through the user's ssh agent).
 */

/** The local engine's id: found as the docker CLI finds it, or at Settings → Docker → Engine address. */
export const LOCAL_ENGINE = 'local'

/**
 * How a task's workspace reaches its container: `mount` bind-mounts the host directory; `copy` ships it
 * into a volume on the engine and brings back what changed. `auto`: copy where a bind mount crosses a
 * VM's file sharing (Docker Desktop) or is impossible (a remote engine), mount otherwise.
 */
export const WORKSPACE_MODES = ['auto', 'mount', 'copy'] as const
export const workspaceModeSchema = z.enum(WORKSPACE_MODES)
export type WorkspaceMode = z.infer<typeof workspaceModeSchema>

export const engineIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'An id of lowercase letters, digits and dashes (at most 32)')

export const remoteEngineSchema = z
  .object({
    id: engineIdSchema.refine((id) => id !== LOCAL_ENGINE, `"${LOCAL_ENGINE}" names the local engine`),
    name: z.string().trim().min(1).max(64),
    host: z
      .string()
      .trim()
      .max(2048)
      .regex(
        /^(tcp:\/\/[^\s/]+|ssh:\/\/[^\s/]+)\/?$/,
        'A host like tcp://build-box:2376 or ssh://me@build-box',
      ),
    /**
     * A tcp:// engine's client certificates: a directory holding ca.pem, cert.pem and key.pem, as
     * `docker --tlsverify` and DOCKER_CERT_PATH expect. Unset for ssh://.
     */
    certDir: z.string().trim().min(1).max(4096).optional(),
    maxConcurrentTasks: z.number().int().min(1).max(64).default(2),
    /** Off: no new task starts there (running ones finish). */
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine((e) => !e.host.startsWith('tcp://') || e.certDir, {
    message: 'A tcp:// engine needs its client certificates (ca.pem, cert.pem, key.pem)',
    path: ['certDir'],
  })
export type RemoteEngine = z.infer<typeof remoteEngineSchema>

export const remoteEnginesSchema = z
  .array(remoteEngineSchema)
  .max(32)
  .refine((list) => new Set(list.map((e) => e.id)).size === list.length, 'Each engine needs its own id')

/** One engine as the scheduler and the UI see it. */
export interface EngineConfig {
  id: string
  name: string
  /** Unset for the local engine: found as the docker CLI finds it. */
  host?: string
  certDir?: string
  limit: number
  enabled: boolean
  workspace: WorkspaceMode
  remote: boolean
}

/** What configuredEngines reads of the settings. */
interface EngineSettings {
  maxConcurrentTasks: number
  docker: { host?: string; workspace: WorkspaceMode }
  engines: readonly RemoteEngine[]
}

/**
 * Every engine, the local one first: remote engines always copy the workspace (nothing of this disk can
 * be mounted there); the local one does what Settings → Docker says.
 */
export function configuredEngines(settings: EngineSettings): EngineConfig[] {
  const local: EngineConfig = {
    id: LOCAL_ENGINE,
    name: 'This computer',
    host: settings.docker.host,
    limit: settings.maxConcurrentTasks,
    enabled: true,
    workspace: settings.docker.workspace,
    remote: false,
  }
  const remotes = settings.engines.map((e): EngineConfig => ({
    id: e.id,
    name: e.name,
    host: e.host,
    certDir: e.certDir,
    limit: e.maxConcurrentTasks,
    enabled: e.enabled,
    workspace: 'copy',
    remote: true,
  }))
  return [local, ...remotes]
}

/** One engine as Settings → Engines and the Docker screen show it: where, whether it answers, its load. */
export interface EngineStatus {
  id: string
  name: string
  /** Unset for the local engine (found as the docker CLI finds it). */
  host?: string
  remote: boolean
  enabled: boolean
  workspace: WorkspaceMode
  reachable: boolean
  /** The engine's Docker version, when it answered. */
  version?: string
  /** What its containers run on (`linux/amd64`, `linux/arm64`), when it answered. */
  platform?: string
  /** Why it does not answer (a refused certificate, an unknown host key, nothing listening). */
  error?: { message: string; hint?: string }
  /** The tasks running on it now, and how many it runs at once. */
  active: string[]
  limit: number
}
