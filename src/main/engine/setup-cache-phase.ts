import { dirname } from 'node:path'
import type { TaskRecord } from '../../shared/task'
import { enginePlatform } from '../docker/engine-platform'
import { giveWorkspaceTo, prepareSandboxHome, sandboxUser } from '../docker/sandbox'
import {
  discardSetupCacheEntry,
  evictSetupCache,
  restoreSetupCache,
  saveSetupCache,
  setupCacheRoot,
} from './setup-cache'
import { computeSetupCacheKey } from './setup-cache-key'
import { snapshotWorkspace } from './setup-cache-tree'
import type { TurnDeps } from './turn-deps'

/** `<dataDir>/setup-cache`, beside `<dataDir>/tasks/` (the task's directory is `<dataDir>/tasks/<id>`). */
function cacheRootOf(deps: TurnDeps, taskId: string): string {
  return setupCacheRoot(dirname(dirname(deps.store.paths(taskId).dir)))
}

const shortKey = (key: string): string => `${key.slice(0, 12)}…`
const seconds = (ms: number): number => Math.max(1, Math.round(ms / 1000))

function sayer(deps: TurnDeps, taskId: string): (text: string) => void {
  return (text) => {
    deps.store.appendArtifact(taskId, 'setup.log', text)
    deps.emit({ type: 'log', stream: 'system', text })
  }
}

type RestoreOutcome = 'restored' | 'miss' | 'failed'

/** Restores the entry of `key` into the task's workspace and HOME (see setupThroughCache). */
async function tryRestore(
  deps: TurnDeps,
  taskId: string,
  cacheRoot: string,
  key: string,
): Promise<RestoreOutcome> {
  const say = sayer(deps, taskId)
  const { workspace, home } = deps.store.paths(taskId)
  try {
    const restored = await deps.exclusive(async () => {
      await prepareSandboxHome(home, sandboxUser())
      return restoreSetupCache(cacheRoot, key, workspace, home)
    })
    if (!restored) return 'miss'
    await giveWorkspaceTo(workspace, sandboxUser())
    await giveWorkspaceTo(home, sandboxUser())
    say(`Setup restored from cache (saved ${seconds(restored.durationMs)} s, key ${shortKey(key)})\n`)
    return 'restored'
  } catch (err) {
    say(`The setup cache could not be restored (${(err as Error).message}); running setup instead.\n`)
    // The next task's setup saves it anew, from a clean workspace.
    await discardSetupCacheEntry(cacheRoot, key).catch(() => undefined)
    return 'failed'
  }
}

/**
 * The setup phase through the cache: the workspace and HOME state a setup with the same key left (same
 * agent image and engine platform, same script, same lockfiles: setup-cache-key.ts) is restored instead of running setup;
 * on a miss setup runs, and what it created or changed is saved once its container is gone, before the
 * agent runs. After a restore that failed part-way setup runs but is not saved (the workspace was not
 * clean before it). Saving never fails the task.
 */
export async function setupThroughCache(
  deps: TurnDeps,
  task: TaskRecord,
  image: string,
  script: string,
  runSetup: () => Promise<void>,
): Promise<void> {
  const { workspace, home } = deps.store.paths(task.id)
  const cacheRoot = cacheRootOf(deps, task.id)
  const platform = await enginePlatform(deps.docker)
  const { key } = await deps.exclusive(async () =>
    computeSetupCacheKey({ image, platform, script, workspace }),
  )
  // "Run setup again": the cached result is not used, and the new one replaces it.
  const outcome = task.refreshSetup ? 'miss' : await tryRestore(deps, task.id, cacheRoot, key)
  if (outcome === 'restored') return
  if (outcome === 'failed') return runSetup()
  const before = await deps.exclusive(() => snapshotWorkspace(workspace))
  const homeBefore = await deps.exclusive(() => snapshotWorkspace(home))
  const started = Date.now()
  await runSetup()
  const durationMs = Date.now() - started
  const saved = { cacheRoot, key, workspace, before, home: { dir: home, before: homeBefore }, durationMs }
  await deps
    .exclusive(async () => {
      await saveSetupCache(saved)
      await evictSetupCache(cacheRoot, deps.settings.setupCache.maxBytes)
    })
    .catch((err: unknown) =>
      sayer(deps, task.id)(`The setup's result was not cached: ${(err as Error).message}\n`),
    )
}
