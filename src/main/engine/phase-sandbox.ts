import { join } from 'node:path'
import type { NetworkPhase, PhaseNetwork } from '../../shared/network'
import type { TaskRecord } from '../../shared/task'
import { Sandbox, prepareSandboxHome, sandboxUser, type SandboxNetwork } from '../docker/sandbox'
import { enginePlan } from '../docker/engine-kind'
import { engineSandboxLimits } from '../docker/engine-limits'
import { AppError } from '../errors'
import {
  cloneHostPatterns,
  openPhaseNetwork,
  type PhaseNetworkHandle,
  type PhaseSocketServer,
} from './phase-network'
import { checkSignal, type TurnDeps } from './turn-deps'
import { dropPhaseVolumes, shipPhaseBack, shipPhaseIn, type ShippedPhase } from './workspace-copy'
import { watchWorkspaceSize } from './workspace-size'

/**
 * A container for one phase: its network opened first (the policy proxy's socket must exist when the
 * container starts), the container started (and reported, so a cancel can kill it), watched for the
 * workspace's size, and removed when `fn` ends, whatever the outcome — then its network closed.
 */
export async function inSandbox(
  deps: TurnDeps,
  task: TaskRecord,
  image: string,
  phase: NetworkPhase,
  fn: (sandbox: Sandbox, network: PhaseNetworkHandle) => Promise<void>,
  /** A runtime inside the sandbox: the model proxy it reaches on 127.0.0.1:3129 (see openPhaseNetwork). */
  model?: (socketPath: string) => Promise<PhaseSocketServer>,
): Promise<void> {
  const paths = deps.store.paths(task.id)
  const copy = deps.workspaceMode === 'copy'
  const network = await openPhaseNetwork({
    phase,
    network: phaseNetworkOf(deps, task, phase),
    // Copy mode mounts nothing of this machine, the proxies' sockets neither: they go through the exec tunnel.
    transport: copy ? async () => 'exec' : deps.proxyTransport,
    registries: deps.settings.network.registries,
    extraHosts: () => [
      ...(phase === 'setup' ? cloneHostPatterns(task.source) : []),
      ...(deps.store.get(task.id).allowedHosts ?? []),
    ],
    dir: join(paths.dir, 'net', phase),
    onBlocked: (block) => {
      deps.emit({ type: 'network_blocked', ...block })
      deps.notes.record(block)
    },
    model,
  })
  try {
    // Waits for any host reader of the workspace still at work (a diff asked for just before this turn).
    const { sandbox, shipped } = await deps.exclusive(() =>
      startSandbox(deps, task, image, network.sandbox, copy),
    )
    const { maxWorkspaceGb } = deps.settings.sandbox
    const watch = watchWorkspaceSize(sandbox, maxWorkspaceGb, deps.stop, deps.workspaceCheckMs)
    let failure: { error: unknown } | undefined
    try {
      if (network.sandbox.kind === 'proxied') {
        await sandbox.startRelay({
          require: network.model ? (network.proxy ? ['proxy', 'model'] : ['model']) : ['proxy'],
        })
      }
      await fn(sandbox, network)
    } catch (err) {
      failure = { error: await explainContainerDeath(err, sandbox, deps) }
    } finally {
      watch.stop()
      // Gone first, then forgotten: until then the host keeps out of the workspace (see WorkspaceGate).
      await sandbox.remove().catch(() => undefined)
    }
    try {
      // Copy mode: the phase's work comes home before the host reads the workspace again.
      if (shipped) await shipPhaseBack(deps, task.id, shipped)
    } catch (err) {
      failure ??= { error: err }
    } finally {
      deps.onSandbox(undefined)
    }
    if (failure) throw failure.error
  } finally {
    await network.close()
  }
}

/** A phase's network: the task's own, else (records from before it was kept) Settings'. */
export const phaseNetworkOf = (deps: TurnDeps, task: TaskRecord, phase: NetworkPhase): PhaseNetwork =>
  task.network?.[phase] ?? deps.settings.network[phase]

/** A container the kernel killed for memory says so, instead of whatever broke next. */
async function explainContainerDeath(err: unknown, sandbox: Sandbox, deps: TurnDeps): Promise<unknown> {
  if (deps.signal.aborted || (err instanceof AppError && err.kind === 'cancelled')) return err
  const state = await sandbox.state().catch(() => undefined)
  if (!state?.oomKilled || state.running) return err
  return new AppError(
    'oom',
    `The sandbox ran out of memory (OOMKilled at ${deps.settings.sandbox.memoryMb} MB).`,
    {
      hint: 'Raise the container memory limit in Settings, or ask for a lighter approach.',
      cause: err,
    },
  )
}

async function startSandbox(
  deps: TurnDeps,
  task: TaskRecord,
  image: string,
  network: SandboxNetwork,
  copy: boolean,
): Promise<{ sandbox: Sandbox; shipped?: ShippedPhase }> {
  deps.emit({ type: 'progress', phase: 'container', message: 'Starting the sandbox container' })
  // Fitted to the engine (a Docker Desktop or Colima VM smaller than Settings ask for), said in the timeline.
  const { memoryMb, cpus, pidsLimit, tmpfsMb } = await engineSandboxLimits(
    deps.docker,
    deps.settings.sandbox,
    (text) => sayNote(deps, text),
  )
  const paths = deps.store.paths(task.id)
  await prepareSandboxHome(paths.home, sandboxUser())
  // Copy mode: the container's user (the engine's plan) owns the shipped files.
  const plan = copy ? await enginePlan(deps.docker, sandboxUser()) : undefined
  const shipped = plan ? await shipPhaseIn(deps, task.id, image, plan.user) : undefined
  let sandbox: Sandbox
  try {
    sandbox = await Sandbox.create(
      deps.docker,
      {
        taskId: task.id,
        image,
        workspace: paths.workspace,
        home: paths.home,
        memoryMb,
        cpus,
        pidsLimit,
        tmpfsMb,
        network,
        caBundle: deps.caBundlePath,
        volumes: shipped?.volumes,
      },
      plan,
    )
  } catch (err) {
    if (shipped) await dropPhaseVolumes(deps, task.id).catch(() => undefined)
    throw err
  }
  deps.onSandbox(sandbox)
  if (deps.signal.aborted) {
    await sandbox.remove().catch(() => undefined)
    checkSignal(deps.signal)
  }
  // What the engine could not apply (limits it cannot set, SELinux labels), said like the clamp above.
  for (const text of sandbox.notes) sayNote(deps, text)
  return { sandbox, shipped }
}

/**
 * How a phase's sandbox says what the engine changed or could not do: a system line of the task's
 * timeline. Every phase says its own (setup and agent each run in a container of their own, fitted anew).
 */
function sayNote(deps: TurnDeps, text: string): void {
  deps.emit({ type: 'log', stream: 'system', text: `${text}\n` })
}
