/**
 * The engine end to end on a rootless engine, run as that engine's user itself (as the app runs on such
 * a machine): `tsx rootless-engine-task.ts SOCKET DIR`, started by runEngineTaskAsUser (rootless-engines.ts).
 * A scripted model makes the agent change a file and add one; prints one JSON line of what happened.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import Docker from 'dockerode'
import type { TaskEvent } from '../../src/shared/events'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer } from '../support/model-server'

async function main(): Promise<void> {
  const [socket, dir] = process.argv.slice(2)
  if (!socket || !dir) throw new Error('usage: rootless-engine-task.ts SOCKET DIR')
  const repo = join(dir, 'repo')
  await writeFiles(repo, {
    'setup.sh': 'echo "setup as $(id -u) via ${HTTPS_PROXY:-no proxy}"\n',
    'app.txt': 'v1\n',
  })
  const model = await startModelServer([
    {
      toolCalls: [
        {
          name: 'shell',
          args: { command: 'echo v2 > app.txt && mkdir -p src && echo new > src/new.txt && id -u' },
        },
      ],
    },
    { toolCalls: [{ name: 'finish', args: { summary: 'Changed app.txt, added src/new.txt.' } }] },
  ])
  const docker = new Docker({ socketPath: socket })
  const engine = await openTestEngine({ dataDir: join(dir, 'data'), baseURL: model.baseURL, docker })
  const events: TaskEvent[] = []
  engine.subscribe((e) => events.push(e))
  const started = Date.now()
  try {
    const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'change app.txt' })
    const task = await waitForStatus(engine, id, ['review'], 240_000).catch((err: unknown) => {
      const log = events.filter((e) => e.type === 'log' || e.type === 'progress')
      throw new Error(`${String(err)}\n${JSON.stringify(log.slice(-20))}`)
    })
    const diff = await engine.diff(id)
    const workspace = engine.store.paths(id).workspace
    const owner = async (path: string): Promise<number> => (await stat(join(workspace, path))).uid
    const toolOutput = model.requests[1]?.body.messages.filter((m) => m.role === 'tool').at(-1)?.content
    const result = {
      status: task.status,
      seconds: (Date.now() - started) / 1000,
      files: diff.fileDiffs.map((f) => `${f.status} ${f.newPath ?? f.oldPath ?? ''}`).sort(),
      owners: { 'app.txt': await owner('app.txt'), 'src/new.txt': await owner('src/new.txt') },
      toolOutput: String(toolOutput),
      setupLog: await engine.store.readArtifact(id, 'setup.log'),
      logs: events.flatMap((e) => (e.type === 'log' && e.stream === 'system' ? [e.text] : [])),
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    await engine.close()
    await model.close()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
