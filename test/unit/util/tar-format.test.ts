import { execFileSync } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeHeader, END_OF_ARCHIVE, padding, parseNumber } from '../../../src/main/util/tar-format'
import { ByteSource, readTar, type TarEntry } from '../../../src/main/util/tar-reader'
import { tempDir } from '../../support/tmp'

const LIMITS = { maxEntries: 1000, maxBytes: 1e9, maxHeaderBytes: 65536 }
const LONG_NAME = `${'ñame-ünïcode-日本/'.repeat(6)}file.txt`
const LONG_LINK = `../${'x'.repeat(150)}/target`

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 777) yield data.subarray(i, i + 777)
}

async function readAll(data: Buffer): Promise<Array<TarEntry & { content: string }>> {
  const out: Array<TarEntry & { content: string }> = []
  await readTar(new ByteSource(once(data)), LIMITS, async (entry, body) => {
    const parts: Buffer[] = []
    await body.consume((c) => void parts.push(Buffer.from(c)))
    out.push({ ...entry, content: Buffer.concat(parts).toString('utf8') })
  })
  return out
}

function ourArchive(): Buffer {
  const common = { uid: 10001, gid: 10001, mtimeSeconds: 1_700_000_000 }
  const content = Buffer.from('hello\n')
  return Buffer.concat([
    encodeHeader({ ...common, path: 'dir', type: 'dir', size: 0, mode: 0o755 }),
    encodeHeader({ ...common, path: LONG_NAME, type: 'file', size: content.length, mode: 0o755 }),
    content,
    padding(content.length),
    encodeHeader({ ...common, path: 'link', type: 'symlink', size: 0, mode: 0o777, linkTarget: LONG_LINK }),
    END_OF_ARCHIVE,
  ])
}

describe('the tar format', () => {
  it('what it writes, GNU tar and Python read back exactly (pax for long and unicode names)', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'a.tar'), ourArchive())
    const listed = execFileSync('tar', ['-tf', join(dir, 'a.tar')], { encoding: 'utf8' }).split('\n')
    expect(listed.filter(Boolean)).toEqual(['dir/', LONG_NAME, 'link'])
    const py = execFileSync(
      'python3',
      [
        '-c',
        'import sys,tarfile,json;t=tarfile.open(sys.argv[1]);print(json.dumps([[m.name,m.mode,m.linkname,m.uid] for m in t]))',
        join(dir, 'a.tar'),
      ],
      { encoding: 'utf8' },
    )
    expect(JSON.parse(py)).toEqual([
      ['dir', 0o755, '', 10001],
      [LONG_NAME, 0o755, '', 10001],
      ['link', 0o777, LONG_LINK, 10001],
    ])
    const ours = await readAll(ourArchive())
    expect(ours.map((e) => [e.path, e.type, e.mode, e.linkTarget, e.content])).toEqual([
      ['dir/', 'dir', 0o755, '', ''],
      [LONG_NAME, 'file', 0o755, '', 'hello\n'],
      ['link', 'symlink', 0o777, LONG_LINK, ''],
    ])
  })

  it('reads what GNU tar writes, in its own format (long names) and in pax', async () => {
    const dir = await tempDir()
    const src = join(dir, 'src')
    await mkdir(join(src, LONG_NAME, '..'), { recursive: true })
    await writeFile(join(src, LONG_NAME), 'long\n')
    await symlink(LONG_LINK, join(src, 'link'))
    for (const format of ['gnu', 'pax']) {
      const archive = join(dir, `${format}.tar`)
      execFileSync('tar', ['-cf', archive, `--format=${format}`, '-C', src, LONG_NAME, 'link'])
      const entries = await readAll(await readFile(archive))
      expect(
        entries.map((e) => [e.path, e.type, e.linkTarget, e.content]),
        format,
      ).toEqual([
        [LONG_NAME, 'file', '', 'long\n'],
        ['link', 'symlink', LONG_LINK, ''],
      ])
    }
  })

  it('stops at a declared size past the cap without reading the content', async () => {
    let pulled = 0
    const header = encodeHeader({
      path: 'bomb',
      type: 'file',
      size: 50 * 1024 ** 3,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtimeSeconds: 0,
    })
    async function* endless(): AsyncGenerator<Buffer> {
      yield header
      for (;;) {
        pulled += 65536
        yield Buffer.alloc(65536)
      }
    }
    await expect(readTar(new ByteSource(endless()), LIMITS, async () => undefined)).rejects.toThrow(
      /tar bomb/u,
    )
    expect(pulled).toBe(0)
  })

  it('reads base-256 sizes and refuses numbers that are not numbers', () => {
    const block = Buffer.alloc(12)
    block[0] = 0x80
    block.writeUInt32BE(5 * 2 ** 20, 8)
    expect(parseNumber(block, 0, 12)).toBe(5 * 2 ** 20)
    expect(parseNumber(Buffer.from('00000012 \0'), 0, 10)).toBe(10)
    expect(parseNumber(Buffer.from('0000x012'), 0, 8)).toBeUndefined()
  })
})
