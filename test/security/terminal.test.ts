import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testBaseImage } from '../support/docker'
import { writeFiles } from '../support/files'
import { startModelServer } from '../support/model-server'
import { expectHeld, plantSecrets } from './support/hostile'
import { finish, shell } from './support/task'

/** What a terminal acts on: C0 controls but tab and newline, DEL, and C1 controls (U+009B is CSI). */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

const OSC52 = '\u001b]52;c;cHduZWQ=\u0007'
const CLEAR = '\u001b[2J\u001b[H'
const CSI_C1 = '\u009b31m'

async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli/task.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')))
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')))
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)))
  return { code, out }
}

describe('the command line and what the agent prints', () => {
  it.each([
    ['text', []],
    ['json', ['--json']],
  ] as const)(
    'escape sequences in file names, contents and tool output never reach the terminal (%s)',
    async (_mode, extra) => {
      const planted = await plantSecrets()
      const repo = join(planted.root, 'repo')
      await writeFiles(repo, { 'a.txt': 'a\n' })
      const evil = `${OSC52}${CLEAR}${CSI_C1}`
      const model = await startModelServer([
        { toolCalls: [{ name: 'write_file', args: { path: `x${OSC52}.txt`, content: `${evil}\n` } }] },
        shell(`printf '${evil.replaceAll('\u001b', '\\033').replaceAll('\u0007', '\\007')}'; cat a.txt`),
        { text: `Done ${evil}`, ...finish(`Summary ${evil}`) },
      ])
      try {
        const { code, out } = await runCli(
          ['--folder', repo, '--data-dir', planted.dataDir, ...extra, `Do it ${evil}`],
          {
            OPENAI_API_KEY: planted.apiKey,
            OPENAI_BASE_URL: model.baseURL,
            OPENAI_MODEL: 'scripted',
            CODEX_BASE_IMAGE: testBaseImage(),
          },
        )
        expect(code, out).toBe(0)
        expect(out).toContain('52;c;cHduZWQ=')
        expect(out.match(ACTIVE), 'a control character reached the terminal').toBeNull()
      } finally {
        await model.close()
      }
      await expectHeld(planted, { model })
    },
  )
})
