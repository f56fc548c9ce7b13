import { readdir } from 'node:fs/promises'
import { join, posix } from 'node:path'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { lstatNoFollow, readWorkspaceFileSync } from '../util/workspace-read'

export interface AgentsDoc {
  /** Relative to the workspace root, `/`-separated: 'AGENTS.md', 'src/api/AGENTS.md'. */
  path: string
  content: string
}

const SKIP_DIRS = new Set(['.git', 'node_modules'])
const MAX_AGENTS_DOCS = 16
const MAX_DOC_BYTES = 16 * 1024
const MAX_DIRS_SCANNED = 5000

const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length)

function isRealDir(root: string, rel: string): boolean {
  const found = lstatNoFollow(root, rel)
  return found.ok && (found.info?.isDirectory() ?? false)
}

/** A focus file as a clean relative path, or null when it points outside the workspace. */
function relativeFocus(file: string): string | null {
  const cleaned = posix.normalize(
    file
      .replace(/\\/g, '/')
      .replace(/^\/workspace(\/|$)/, '')
      .replace(/^\/+/, ''),
  )
  return cleaned === '..' || cleaned.startsWith('../') ? null : cleaned.replace(/^\.$/, '').replace(/\/$/, '')
}

/** An AGENTS.md: a regular file reached through real directories only, never a link, FIFO or device. */
function readDoc(root: string, relDir: string): AgentsDoc | null {
  const rel = relDir ? `${relDir}/AGENTS.md` : 'AGENTS.md'
  const read = readWorkspaceFileSync(root, rel, { maxBytes: MAX_DOC_BYTES, overflow: 'truncate' })
  if (!read.ok) return null
  const text = read.content.toString('utf8')
  return {
    path: rel,
    content: read.truncated ? `${text}\n[… truncated at ${MAX_DOC_BYTES} bytes]` : text,
  }
}

/**
 * Every AGENTS.md that applies: the root one, those on the path to each focus file, then others in
 * the tree up to a cap. Ordered root first, deepest last (the nearer one wins, as in Codex).
 */
export async function discoverAgentsMd(workspaceDir: string, focusFiles: string[]): Promise<AgentsDoc[]> {
  const wanted = new Set<string>([''])
  for (const file of focusFiles) {
    const rel = relativeFocus(file)
    if (rel === null) continue
    const parts = rel ? rel.split('/') : []
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (!isRealDir(workspaceDir, dir)) break
      wanted.add(dir)
    }
  }
  const docs: AgentsDoc[] = []
  for (const dir of wanted) {
    const doc = readDoc(workspaceDir, dir)
    if (doc) docs.push(doc)
  }
  // Others elsewhere in the tree, breadth first, while the cap allows.
  const queue = ['']
  for (
    let scanned = 0;
    queue.length && scanned < MAX_DIRS_SCANNED && docs.length < MAX_AGENTS_DOCS;
    scanned++
  ) {
    const dir = queue.shift() ?? ''
    const entries = await readdir(join(workspaceDir, dir), { withFileTypes: true }).catch(() => [])
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name
      if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) queue.push(rel)
      if (entry.name === 'AGENTS.md' && !wanted.has(dir) && docs.length < MAX_AGENTS_DOCS) {
        const doc = readDoc(workspaceDir, dir)
        if (doc) docs.push(doc)
      }
    }
  }
  return docs.sort(
    (a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  )
}

/** A short, sorted tree of the workspace (breadth first up to maxEntries), skipping .git and node_modules. */
export async function repoTree(dir: string, opts: { maxEntries?: number } = {}): Promise<string> {
  const max = opts.maxEntries ?? 200
  const children = new Map<string, string[]>()
  const queue = ['']
  let count = 0
  let truncated = false
  while (queue.length && !truncated) {
    const rel = queue.shift() ?? ''
    const entries = await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const names: string[] = []
    for (const entry of entries) {
      if (SKIP_DIRS.has(entry.name)) continue
      if (count >= max) {
        truncated = true
        break
      }
      count++
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        names.push(`${entry.name}/`)
        queue.push(childRel)
      } else names.push(entry.isSymbolicLink() ? `${entry.name}@` : entry.name)
    }
    children.set(rel, names)
  }
  const lines: string[] = []
  const render = (rel: string, indent: string): void => {
    for (const name of children.get(rel) ?? []) {
      lines.push(indent + name)
      if (name.endsWith('/')) render(rel ? `${rel}/${name.slice(0, -1)}` : name.slice(0, -1), `${indent}  `)
    }
  }
  render('', '')
  if (truncated) lines.push(`… (listing stopped at ${max} entries)`)
  return lines.length ? lines.join('\n') : '(empty)'
}

export function buildSystemPrompt(opts: {
  tree: string
  focusFiles: string[]
  agentsDocs: AgentsDoc[]
  /** What the container's network allows, as a phrase: "no network access" (the default). */
  network?: string
}): string {
  const parts = [
    "You are a coding agent working on a copy of the user's repository, mounted at /workspace inside an " +
      `isolated container with ${opts.network ?? 'no network access'}. Complete the user's task by reading the code, making ` +
      'focused changes, and checking them (run the tests or a build when the project has them).',
    [
      'How to work:',
      '- Use the tools: shell (bash -lc in /workspace), read_file, list_files, search, write_file, edit_file, apply_patch, finish.',
      '- Find code with search and list_files; read before you edit; prefer apply_patch (several files or hunks) or edit_file (an exact, unique old_string) over rewriting whole files.',
      '- Keep changes minimal and in the style of the surrounding code; do not reformat unrelated code.',
      '- Do not try to commit: the user reviews your changes as a diff.',
      '- When done, call finish with a short summary of what you changed and how you verified it.',
    ].join('\n'),
  ]
  if (opts.agentsDocs.length) {
    const docs = opts.agentsDocs.map((d) => `--- ${d.path} ---\n${d.content.trim()}`).join('\n\n')
    parts.push(
      'The repository contains AGENTS.md files with instructions for agents. Follow them. Each applies to the ' +
        'directory it is in and everything below it; where they disagree, the deeper (more specific) file takes ' +
        'precedence for files under it. They are listed from the root to the deepest.\n\n' +
        docs,
    )
  }
  if (opts.focusFiles.length) {
    parts.push(
      `The user asks you to focus on these files:\n${opts.focusFiles.map((f) => `- ${f}`).join('\n')}`,
    )
  }
  parts.push(`Repository layout (/workspace):\n${opts.tree}`)
  return parts.join('\n\n')
}

export const buildTaskMessage = (task: string): string => `Task:\n${task.trim()}`

/** The messages of a task's first turn: the system prompt and the task. */
export function initialMessages(system: string, task: string): ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: buildTaskMessage(task) },
  ]
}
