import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { listTaskContainers } from '../../src/main/docker/sandbox'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { TaskEvent } from '../../src/shared/events'
import type { ScriptStep } from './model-server'
import { requireDocker } from './docker'
import { writeFiles } from './files'

const run = promisify(execFile)

/** A Codex `exec_command` call, as the scripted Responses server sends it. */
export const codexShell = (cmd: string, extra: Record<string, unknown> = {}): ScriptStep => ({
  toolCalls: [{ name: 'exec_command', args: { cmd, ...extra } }],
})

/** An `apply_patch` edit: Codex intercepts `apply_patch <<'EOF' … EOF` run through exec_command. */
export const codexPatch = (patch: string): ScriptStep =>
  codexShell(`apply_patch <<'EOF'\n*** Begin Patch\n${patch}\n*** End Patch\nEOF`)

export async function makeRepo(root: string, files: Record<string, string>): Promise<string> {
  const repo = join(root, 'repo')
  await writeFiles(repo, files)
  return repo
}

/** The running containers of a task (ids). */
export async function taskContainers(taskId: string): Promise<string[]> {
  const all = await listTaskContainers(await requireDocker())
  return all.filter((c) => c.taskId === taskId).map((c) => c.id)
}

/**
 * Everything of a running container a secret could hide in, read out to the host (so the secret searched
 * for never enters the container): its configured environment, every process's environ and command line,
 * and the files of HOME, /workspace, /tmp, /run and /etc.
 */
export async function containerSecrets(id: string): Promise<string> {
  const inspect = await run('docker', ['inspect', '--format', '{{json .Config.Env}}', id])
  const script =
    'for d in /proc/[0-9]*; do cat "$d/environ" "$d/cmdline" 2>/dev/null; echo; done; ' +
    'tar cf - /home/agent /workspace /tmp /run /etc 2>/dev/null; true'
  const inside = await run('docker', ['exec', id, 'sh', '-c', script], {
    maxBuffer: 512 * 1024 * 1024,
    encoding: 'latin1',
  })
  return `${inspect.stdout}\n${inside.stdout}`
}

/** Resolves with the time (epoch ms) of the first event of the task that matches. */
export function eventTimes(engine: TaskEngine, id: string): Array<{ at: number; event: TaskEvent }> {
  const seen: Array<{ at: number; event: TaskEvent }> = []
  engine.subscribe((event) => event.taskId === id && seen.push({ at: Date.now(), event }))
  return seen
}
