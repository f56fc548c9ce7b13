import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ChatMessage } from '../support/model-server'
import { tempDir } from '../support/tmp'

/**
 * Copy mode ("copy, don't mount", DESIGN.md) on the local engine, against mount mode: the same task, the
 * same scripted agent; the workspace reaches the container as a volume and the changes come back.
 */
const SETUP =
  'set -e\nmkdir -p node_modules/x\necho "built" > node_modules/x/index.js\necho made-in-home > ~/.probe\n'
const TURN =
  "sed -i 's/one/ONE/' src/a.js && rm src/old.js && mkdir -p src/deep && printf 'new\\n' > src/deep/new.js" +
  ' && printf "#!/bin/sh\\necho hi\\n" > run.sh && chmod +x run.sh' +
  ' && cat node_modules/x/index.js ~/.probe && grep " /workspace " /proc/self/mountinfo'
const SHELL = { toolCalls: [{ name: 'shell', args: { command: TURN } }] }
const FINISH = { toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }

const toolOutput = (messages: ChatMessage[]): string =>
  String(messages.filter((m) => m.role === 'tool').at(-1)?.content)

async function runOnce(engine: TaskEngine, repo: string): Promise<string> {
  const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'Edit the code' })
  await waitForStatus(engine, id, ['review'])
  return id
}

describe('copy mode', () => {
  it('runs a task with the workspace shipped in and back: the same diff.patch as mounted, no bind mount', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, {
      'setup.sh': SETUP,
      '.gitignore': 'node_modules/\n',
      'src/a.js': 'export const one = 1\n',
      'src/old.js': 'gone soon\n',
      'README.md': '# repo\n',
    })
    const model = await startModelServer([SHELL, FINISH, SHELL, FINISH])
    const patches: string[] = []
    const outputs: string[] = []
    try {
      for (const workspace of ['mount', 'copy'] as const) {
        const engine = await openTestEngine({
          dataDir: join(root, `data-${workspace}`),
          baseURL: model.baseURL,
          settings: { docker: { workspace } },
        })
        try {
          const id = await runOnce(engine, repo)
          patches.push((await engine.store.readArtifact(id, 'diff.patch')) ?? '')
          outputs.push(toolOutput(model.requests.at(-1)!.body.messages))
          const events = await engine.store.readEvents(id)
          const copied = events.some((e) => e.type === 'progress' && /Copied the workspace/.test(e.message))
          expect(copied).toBe(workspace === 'copy')
        } finally {
          await engine.close()
        }
      }
    } finally {
      await model.close()
    }
    const [mounted, copied] = patches
    expect(mounted).toContain('+export const ONE = 1')
    expect(mounted).toContain('deleted file mode')
    expect(mounted).toContain('src/deep/new.js')
    expect(mounted).toContain('new file mode 100755')
    expect(copied).toBe(mounted)
    // Setup's node_modules and HOME reached the agent phase in both modes.
    for (const out of outputs) expect(out).toMatch(/built\s+made-in-home/)
    // Mounted: the task's workspace directory is the source; copied: a Docker volume.
    expect(outputs[0]).toContain(join(root, 'data-mount'))
    expect(outputs[1]).not.toContain(root)
    expect(outputs[1]).toMatch(/volumes\/codex-sys-[^/]+-workspace\/_data/)
  })
})
