import { z } from 'zod'
import { remoteEnginesSchema, workspaceModeSchema } from './engines'
import { hostPatternSchema, phaseNetworkSchema, REGISTRY_HOSTS } from './network'
import { agentRuntimeSchema, contextWindowSchema, reasoningEffortSchema } from './task'

/** The registry repository .github/workflows/agent-image.yml pushes the prebuilt agent images to. */
export const DEFAULT_AGENT_IMAGE_REGISTRY = 'ghcr.io/codex-sys/codex-sys-agent'
/** The setup cache's size cap when Settings has none: 10 GiB. */
export const DEFAULT_SETUP_CACHE_MAX_BYTES = 10 * 1024 ** 3

/** What the setup cache holds now. */
export interface SetupCacheUsage {
  entries: number
  bytes: number
}

export const settingsSchema = z.object({
  model: z.string().min(1).default('gpt-4.1-mini'),
  /** The agent runtime of a new task that names none (see AGENT_RUNTIMES). */
  runtime: agentRuntimeSchema.default('builtin'),
  /** OpenAI-compatible endpoint; unset means the SDK's default. */
  baseUrl: z.url().optional(),
  /** The built-in loop's wire API: `auto` is the Responses API on api.openai.com, Chat Completions elsewhere. */
  modelApi: z.enum(['auto', 'chat', 'responses']).default('auto'),
  /** The reasoning effort of a task that names none; unset: the model's default. */
  reasoningEffort: reasoningEffortSchema.optional(),
  /** A streamed model reply that sends nothing for this many seconds is cut off and retried. */
  streamIdleSeconds: z.number().min(1).max(3600).default(60),
  maxConcurrentTasks: z.number().int().min(1).max(16).default(2),
  limits: z
    .object({
      maxSteps: z.number().int().min(1).max(1000).default(50),
      maxTokens: z.number().int().min(1000).default(2_000_000),
      maxCostUsd: z.number().min(0).default(5),
      timeLimitMs: z
        .number()
        .int()
        .min(1000)
        .default(30 * 60_000),
      /** The model's context window in tokens, when the built-in table (agent/context-window.ts) is wrong or lacks it. */
      contextWindow: contextWindowSchema.optional(),
    })
    .prefault({}),
  sandbox: z
    .object({
      memoryMb: z.number().int().min(64).default(4096),
      cpus: z.number().min(0.1).max(64).default(2),
      pidsLimit: z.number().int().min(16).default(1024),
      /** Size of the container's /tmp (a tmpfs, gone with each container); its pages count as its memory. */
      tmpfsMb: z.number().int().min(16).max(65_536).default(1024),
      /** The task stops with a clear error when its workspace grows past this. */
      maxWorkspaceGb: z.number().min(0.1).max(10_000).default(20),
    })
    .prefault({}),
  /** The setup cache (engine/setup-cache*.ts). */
  setupCache: z
    .object({
      /** Least-recently-used entries are removed beyond this many bytes; 0 keeps none. */
      maxBytes: z.number().int().min(0).default(DEFAULT_SETUP_CACHE_MAX_BYTES),
    })
    .prefault({}),
  /** Which Docker engine to use; unset: found like the docker CLI finds it (DOCKER_HOST, context, sockets). */
  docker: z
    .object({
      /** Like DOCKER_HOST: unix:///path, npipe:////./pipe/name, tcp://host:port or ssh://user@host. */
      host: z
        .string()
        .trim()
        .max(4096)
        .regex(
          /^(unix|npipe|tcp|ssh|http|https):\/\/\S+$/,
          'A host like unix:///var/run/docker.sock or tcp://host:2376',
        )
        .optional(),
      /** How the local engine's tasks get their workspace (shared/engines.ts). */
      workspace: workspaceModeSchema.default('auto'),
    })
    .prefault({}),
  /** Remote Docker engines tasks may run on, besides the local one (shared/engines.ts). */
  engines: remoteEnginesSchema.default([]),
  /** Where the prebuilt agent image is pulled from before building it here (docker/image.ts). */
  agentImage: z
    .object({
      /** A registry repository (`host/owner/name`); empty: never pull, always build locally. */
      registry: z
        .string()
        .trim()
        .max(512)
        .regex(
          /^$|^[a-z0-9][a-z0-9.:-]*(\/[a-z0-9._-]+)+$/,
          'A repository like ghcr.io/owner/codex-sys-agent',
        )
        .default(DEFAULT_AGENT_IMAGE_REGISTRY),
    })
    .prefault({}),
  /** The sandbox's network per phase (see shared/network.ts); a task may choose its own. */
  network: z
    .object({
      setup: phaseNetworkSchema.prefault({ mode: 'registries' }),
      agent: phaseNetworkSchema.prefault({ mode: 'off' }),
      /** The `registries` preset, editable. */
      registries: z
        .array(hostPatternSchema)
        .max(500)
        .default([...REGISTRY_HOSTS]),
      /** A PEM file of extra CA certificates the sandbox (and the image build) trusts, besides the host's. */
      caBundlePath: z.string().trim().min(1).max(4096).optional(),
    })
    .prefault({}),
  zip: z
    .object({
      maxEntries: z.number().int().min(1).default(200_000),
      maxBytes: z
        .number()
        .int()
        .min(1)
        .default(8 * 1024 ** 3),
      /** Largest allowed ratio of uncompressed to compressed size, per entry and overall. */
      maxRatio: z.number().min(1).default(1000),
    })
    .prefault({}),
  /** Who commits published changes, and how their branches are named. */
  git: z
    .object({
      authorName: z.string().trim().min(1).max(200).default('codex-sys'),
      authorEmail: z.email().default('codex-sys@users.noreply.github.com'),
      branchPrefix: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,60}$/, 'Letters, digits, . _ / - only')
        .default('ai-changes'),
    })
    .prefault({}),
  /** GitHub's REST API (GitHub Enterprise: https://HOST/api/v3). */
  githubApiUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
  /** Accept http://127.0.0.1 and http://localhost Git URLs (local servers, tests). */
  allowLocalHttpGit: z.boolean().default(false),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
})

export type Settings = z.infer<typeof settingsSchema>
export type SettingsInput = z.input<typeof settingsSchema>

export const defaultSettings = (): Settings => settingsSchema.parse({})

/** OpenAI's own API host: what an unset base URL means. */
export const OPENAI_API_HOST = 'api.openai.com'

/**
 * The wire API the built-in loop uses for an endpoint: the setting, or for `auto` the Responses API on
 * OpenAI's own API (unset base URL) and Chat Completions on every other OpenAI-compatible server (Ollama,
 * vLLM, LM Studio), which may lack the Responses API.
 */
export function resolveModelApi(settings: Pick<Settings, 'modelApi' | 'baseUrl'>): {
  api: 'chat' | 'responses'
  auto: boolean
} {
  if (settings.modelApi !== 'auto') return { api: settings.modelApi, auto: false }
  let host = OPENAI_API_HOST
  try {
    if (settings.baseUrl) host = new URL(settings.baseUrl).hostname
  } catch {
    host = ''
  }
  return { api: host === OPENAI_API_HOST ? 'responses' : 'chat', auto: true }
}

/**
 * A change to the settings: each top-level field, nested objects (limits, sandbox, zip) field by field, and
 * `null` to clear an optional field (baseUrl). Unlike `settingsSchema.partial()`, which fills every absent
 * field with its default (so a patch of one field would reset all the others), this schema adds nothing.
 */
export type SettingsPatch = {
  [K in keyof Settings]?: NonNullable<Settings[K]> extends Record<string, unknown>
    ? Partial<Settings[K]>
    : undefined extends Settings[K]
      ? Settings[K] | null
      : Settings[K]
}

function withoutDefaults(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault)
    return withoutDefaults(schema.unwrap() as z.ZodType)
  if (schema instanceof z.ZodOptional) return withoutDefaults(schema.unwrap() as z.ZodType).nullable()
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>
    return z.strictObject(
      Object.fromEntries(
        Object.entries(shape).map(([key, field]) => [key, withoutDefaults(field).optional()]),
      ),
    )
  }
  return schema
}

/** Validates a patch's shape and values; derived from `settingsSchema`, so the two never drift apart. */
export const settingsPatchSchema = withoutDefaults(settingsSchema) as z.ZodType<SettingsPatch>
