import type { FileDiff, FileStatus } from '../../../../shared/diff'

/** A changed file's workspace path: its new path, or the old one when it was deleted. */
export const fileKey = (f: FileDiff): string => f.newPath ?? f.oldPath ?? ''

export const STATUS_LETTERS: Record<FileStatus, string> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  renamed: 'R',
  type_changed: 'T',
}

export interface FileNode {
  kind: 'file'
  name: string
  path: string
  file: FileDiff
}

export interface DirNode {
  kind: 'dir'
  /** Shown name; single-child folder chains are compacted ("src/lib"). */
  name: string
  path: string
  children: TreeNode[]
  /** Every file key beneath this folder. */
  files: string[]
}

export type TreeNode = FileNode | DirNode

export interface TreeRow {
  node: TreeNode
  depth: number
}

const byName = (a: TreeNode, b: TreeNode): number =>
  a.kind !== b.kind ? (a.kind === 'dir' ? -1 : 1) : a.name.localeCompare(b.name)

/** Folders first, then files, each by name; folders with a single folder inside are merged. */
export function buildTree(files: readonly FileDiff[]): DirNode {
  const root: DirNode = { kind: 'dir', name: '', path: '', children: [], files: [] }
  const dirs = new Map<string, DirNode>()
  for (const file of files) {
    const key = fileKey(file)
    const parts = key.split('/')
    let dir = root
    dir.files.push(key)
    for (let i = 0; i < parts.length - 1; i++) {
      const path = parts.slice(0, i + 1).join('/')
      let next = dirs.get(path)
      if (!next) {
        next = { kind: 'dir', name: parts[i]!, path, children: [], files: [] }
        dirs.set(path, next)
        dir.children.push(next)
      }
      next.files.push(key)
      dir = next
    }
    dir.children.push({ kind: 'file', name: parts[parts.length - 1]!, path: key, file })
  }
  const finish = (dir: DirNode): DirNode => {
    let node = dir
    for (let only = node.children[0]; node !== root && node.children.length === 1 && only?.kind === 'dir';) {
      node = { ...only, name: `${node.name}/${only.name}` }
      only = node.children[0]
    }
    node.children = node.children.map((c) => (c.kind === 'dir' ? finish(c) : c)).sort(byName)
    return node
  }
  return finish(root)
}

/** The rows a user sees: the tree depth-first, skipping what is inside collapsed folders. */
export function visibleRows(root: DirNode, collapsed: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = []
  const walk = (dir: DirNode, depth: number): void => {
    for (const node of dir.children) {
      rows.push({ node, depth })
      if (node.kind === 'dir' && !collapsed.has(node.path)) walk(node, depth + 1)
    }
  }
  walk(root, 0)
  return rows
}

/** Files in tree order (the order j/k moves through). */
export function filesInOrder(root: DirNode): FileDiff[] {
  return visibleRows(root, new Set())
    .map((r) => r.node)
    .filter((n): n is FileNode => n.kind === 'file')
    .map((n) => n.file)
}

/** Monaco's language id for a file name ('plaintext' when unknown). */
export function languageOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase()
  if (name === 'dockerfile' || name.endsWith('.dockerfile')) return 'dockerfile'
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : ''
  return LANGUAGES[ext] ?? 'plaintext'
}

const LANGUAGES: Record<string, string> = {
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  json: 'json',
  jsonc: 'json',
  css: 'css',
  scss: 'scss',
  less: 'less',
  html: 'html',
  htm: 'html',
  vue: 'html',
  md: 'markdown',
  markdown: 'markdown',
  py: 'python',
  rb: 'ruby',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin',
  kts: 'kotlin',
  swift: 'swift',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  php: 'php',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'ini',
  ini: 'ini',
  xml: 'xml',
  svg: 'xml',
  sql: 'sql',
  graphql: 'graphql',
  gql: 'graphql',
  lua: 'lua',
  r: 'r',
  scala: 'scala',
  dart: 'dart',
  ex: 'elixir',
  exs: 'elixir',
  clj: 'clojure',
  pl: 'perl',
  ps1: 'powershell',
  tf: 'hcl',
  proto: 'proto',
}
