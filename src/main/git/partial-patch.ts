import type { HunkExclusion } from '../../shared/review'
import { AppError } from '../errors'
import { PATCH_FORMAT_ARGS, parseDiffOutput, sectionsPerEntry, type RawEntry } from './diff-parse'
import { runGit, type GitOptions } from './git'
import { parseSection, type SectionHunk } from './hunks'
import { lineStarts } from './patch-content'
import { isRevision } from './tree-entries'

/**
 * Parts of a file's change: the content and the patch of only the changes the user kept. Both come
 * from one walk over the section's lines (selectLines), so `git apply` of the patch gives the content.
 *
 * A line git marked `\ No newline at end of file` that is no longer last once a selection is applied
 * (an old last line kept, followed by added lines) gets the newline back: in the patch it becomes a
 * deletion of the bare line and an addition of the line with its newline.
 */

/** Per hunk key: the indices of its changes left out, or 'all' for the whole hunk. */
export type HunkSelection = ReadonlyMap<string, ReadonlySet<number> | 'all'>

/** The saved exclusions grouped per file (path → selection). */
export function exclusionsByFile(list: readonly HunkExclusion[]): Map<string, HunkSelection> {
  const files = new Map<string, Map<string, Set<number> | 'all'>>()
  for (const item of list) {
    let file = files.get(item.path)
    if (!file) files.set(item.path, (file = new Map()))
    const known = file.get(item.key)
    if (known === 'all') continue
    if (!item.lines) {
      file.set(item.key, 'all')
      continue
    }
    const lines = known ?? new Set<number>()
    for (const i of item.lines) lines.add(i)
    file.set(item.key, lines)
  }
  return files
}

type Sign = ' ' | '-' | '+'

/** A line of the partial hunk: `[start, end)` of the section is its content, `eol` what ends it. */
interface OutLine {
  sign: Sign
  start: number
  end: number
  eol: '' | '\n' | '\r\n'
}

const CR = 0x0d

const isExcluded = (sel: ReadonlySet<number> | 'all' | undefined, change: number): boolean =>
  sel === 'all' || (sel !== undefined && sel.has(change))

/** The hunk's lines with the selection applied: excluded deletions as context, excluded additions gone. */
function selectLines(section: Buffer, hunk: SectionHunk, excluded: HunkSelection): OutLine[] {
  const sel = excluded.get(hunk.key)
  const out: OutLine[] = []
  let change = 0
  for (const line of hunk.lines) {
    const at = { start: line.start, end: line.end, eol: line.noEol ? ('' as const) : ('\n' as const) }
    if (line.sign === 'ctx') out.push({ sign: ' ', ...at })
    else if (line.sign === 'del') out.push({ sign: isExcluded(sel, change++) ? ' ' : '-', ...at })
    else if (!isExcluded(sel, change++)) out.push({ sign: '+', ...at })
  }
  return restoreNewlines(section, out)
}

/** A new-side line without newline followed by more new-side lines gets the newline back. */
function restoreNewlines(section: Buffer, out: OutLine[]): OutLine[] {
  const bare = out.findIndex((l) => l.eol === '' && l.sign !== '-')
  if (bare < 0 || !out.slice(bare + 1).some((l) => l.sign !== '-')) return out
  const line = out[bare] as OutLine
  const eol = newlineNear(section, out, bare)
  const fixed: OutLine[] =
    line.sign === ' '
      ? [
          { ...line, sign: '-' },
          { ...line, sign: '+', eol },
        ]
      : [{ ...line, eol }]
  return [...out.slice(0, bare), ...fixed, ...out.slice(bare + 1)]
}

/** The newline the hunk's nearest complete line uses: `\r\n` in a CRLF file, else `\n`. */
function newlineNear(section: Buffer, out: OutLine[], at: number): '\n' | '\r\n' {
  for (let d = 1; d < out.length; d++) {
    for (const i of [at - d, at + d]) {
      const line = out[i]
      if (line && line.eol !== '')
        return line.end > line.start && section[line.end - 1] === CR ? '\r\n' : '\n'
    }
  }
  return '\n'
}

const hasChange = (out: OutLine[]): boolean => out.some((l) => l.sign !== ' ')

/**
 * The file's content with only the included changes of `section` (the patch of `oldContent` → the new
 * content): an excluded deletion stays, an excluded addition is dropped. Byte-exact (CRLF, no newline at
 * the end). Null when the section does not apply to `oldContent`.
 */
export function selectedContent(oldContent: Buffer, section: Buffer, excluded: HunkSelection): Buffer | null {
  const parsed = parseSection(section)
  if (!parsed) return null
  const starts = lineStarts(oldContent)
  const lineCount = starts.length - 1
  const parts: Buffer[] = []
  let cursor = 0
  for (const hunk of parsed.hunks) {
    const first = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1
    if (first < cursor || first + hunk.oldLines > lineCount) return null
    parts.push(oldContent.subarray(starts[cursor], starts[first]))
    let line = first
    for (const out of selectLines(section, hunk, excluded)) {
      const bytes = lineBytes(section, out)
      if (out.sign !== '+' && !bytes.equals(oldContent.subarray(starts[line], starts[++line]))) return null
      if (out.sign !== '-') parts.push(bytes)
    }
    cursor = line
  }
  parts.push(oldContent.subarray(starts[cursor]))
  return Buffer.concat(parts)
}

function lineBytes(section: Buffer, out: OutLine): Buffer {
  const content = section.subarray(out.start, out.end)
  if (out.eol === '') return content
  if (out.eol === '\n' && out.end < section.length) return section.subarray(out.start, out.end + 1)
  return Buffer.concat([content, Buffer.from(out.eol)])
}

/**
 * `section` with the excluded changes left out — an excluded deletion becomes context, an excluded
 * addition is dropped, hunk headers recounted, hunks with no change left dropped: it applies with
 * `git apply` to the old content and gives `selectedContent`. Empty when nothing is left.
 */
export function partialPatch(section: Buffer, excluded: HunkSelection): Buffer {
  const parsed = parseSection(section)
  if (!parsed || !parsed.hunks.some((h) => excluded.has(h.key))) return section
  const hunks: Buffer[] = []
  let shift = 0
  for (const hunk of parsed.hunks) {
    const out = selectLines(section, hunk, excluded)
    if (!hasChange(out)) continue
    const oldCount = out.filter((l) => l.sign !== '+').length
    const newCount = out.filter((l) => l.sign !== '-').length
    const first = (hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1) + shift
    const newStart = newCount === 0 ? first : first + 1
    hunks.push(Buffer.from(`@@ -${hunk.oldStart},${oldCount} +${newStart},${newCount} @@${hunk.context}\n`))
    for (const line of out) hunks.push(patchLine(section, line))
    shift += newCount - oldCount
  }
  if (hunks.length === 0) return Buffer.alloc(0)
  return Buffer.concat([partialHeader(section.subarray(0, parsed.headerEnd)), ...hunks])
}

const NO_NEWLINE = Buffer.from('\\ No newline at end of file\n')

function patchLine(section: Buffer, line: OutLine): Buffer {
  const content = section.subarray(line.start, line.end)
  const tail = line.eol === '' ? Buffer.concat([Buffer.from('\n'), NO_NEWLINE]) : Buffer.from(line.eol)
  return Buffer.concat([Buffer.from(line.sign), content, tail])
}

/**
 * The section's header for a partial change: without the `index` line (the new blob id no longer
 * holds); a deletion with lines kept becomes a modification of the file (a deletion may not leave
 * content), its `+++ /dev/null` naming the file again.
 */
function partialHeader(header: Buffer): Buffer {
  const lines = header.toString('latin1').split('\n')
  const deleted = lines.some((l) => l.startsWith('deleted file mode '))
  const oldName = lines.find((l) => l.startsWith('--- '))?.slice(4) ?? ''
  const kept = lines
    .filter((l) => !l.startsWith('index ') && !(deleted && l.startsWith('deleted file mode ')))
    .map((l) => (deleted && l === '+++ /dev/null' ? `+++ ${asNewName(oldName)}` : l))
  return Buffer.from(kept.join('\n'), 'latin1')
}

/** `a/path` → `b/path`, quoted names (`"a/…"`) too. */
const asNewName = (oldName: string): string =>
  oldName.startsWith('"a/') ? `"b/${oldName.slice(3)}` : `b/${oldName.slice(2)}`

/** The selection that leaves out everything but hunk `key` (or only its `lines`): for "only this hunk". */
export function onlySelection(section: Buffer, key: string, lines?: readonly number[]): HunkSelection {
  const selection = new Map<string, ReadonlySet<number> | 'all'>()
  for (const hunk of parseSection(section)?.hunks ?? []) {
    if (hunk.key !== key) selection.set(hunk.key, 'all')
    else if (lines) {
      const keep = new Set(lines)
      const others = new Set(hunk.changes.map((_, i) => i).filter((i) => !keep.has(i)))
      if (others.size > 0) selection.set(key, others)
    }
  }
  return selection
}

/** A path's raw record (status, modes, blob ids) and its patch sections (a type change has two). */
export interface PathSections {
  entry: RawEntry
  sections: Buffer[]
}

/** Pathspecs per git process, so that the command line stays well under every system's limit. */
const PATHSPEC_BYTES = 64 * 1024

/**
 * The sections of `paths` between `baseline` and the index `git` points at, without rename detection
 * (a path is never paired with another: an unrenamed file's section is the same as with `-M`), keyed by
 * path. One git process per 64 KiB of paths.
 */
export async function pathSections(
  git: GitOptions,
  baseline: string,
  paths: readonly string[],
): Promise<Map<string, PathSections>> {
  if (!isRevision(baseline)) throw new AppError('invalid_input', 'The baseline commit is not valid.')
  const out = new Map<string, PathSections>()
  for (const chunk of chunksOf(paths)) {
    const args = ['diff', '--cached', '-z', '--raw', '--patch', '--no-abbrev', ...PATCH_FORMAT_ARGS]
    const specs = chunk.map((p) => `:(literal)${p}`)
    // `:(literal)` names the path whatever its characters; the variable would make git read it as a name.
    const env = { ...git.env, GIT_LITERAL_PATHSPECS: '0' }
    const res = await runGit([...args, '--no-renames', baseline, '--', ...specs], { ...git, env })
    const parsed = parseDiffOutput(res.stdoutBuffer ?? Buffer.alloc(0))
    sectionsPerEntry(parsed.entries, parsed.patch).forEach((sections, i) => {
      const entry = parsed.entries[i] as RawEntry
      out.set(entry.newPath, { entry, sections })
    })
  }
  return out
}

function chunksOf(paths: readonly string[]): string[][] {
  const chunks: string[][] = []
  let current: string[] = []
  let bytes = 0
  for (const path of paths) {
    if (current.length > 0 && bytes + path.length > PATHSPEC_BYTES) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(path)
    bytes += path.length + 12
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/**
 * One file's patch section between `baseline` and the index `git` points at (GIT_INDEX_FILE in its env),
 * formatted as every diff of ours is (PATCH_FORMAT_ARGS); null when the file has no change.
 */
export async function fileSection(git: GitOptions, baseline: string, path: string): Promise<Buffer | null> {
  const found = (await pathSections(git, baseline, [path])).get(path)
  return found && found.sections.length > 0 ? Buffer.concat(found.sections) : null
}
