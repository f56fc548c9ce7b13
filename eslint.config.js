import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
})

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test/e2e/screenshots/**',
      'bench/.work/**',
      'test/e2e/fixtures/seed-001/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Import directions (DESIGN.md): shared imports nothing of ours; the renderer never reaches
  // electron, node:* or main; only preload touches ipcRenderer; only docker/ imports dockerode,
  // only git/ and sources/ run git, only github/ imports Octokit.
  {
    files: ['src/shared/**'],
    rules: restrict([
      {
        group: ['node:*', 'electron', '**/main/**', '**/preload/**', '**/renderer/**'],
        message: 'src/shared imports nothing of ours and no node:* or electron.',
      },
    ]),
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict([
      {
        group: ['node:*', 'electron', '**/main/**', '**/preload/**'],
        message: 'The renderer talks to the engine only through window.api / the HTTP bridge.',
      },
    ]),
  },
  {
    files: ['src/main/**'],
    ignores: [
      'src/main/index.ts',
      'src/main/ipc.ts',
      'src/main/desktop/**',
      'src/main/docker/**',
      'src/main/git/**',
      'src/main/sources/**',
      'src/main/github/**',
    ],
    rules: restrict([
      {
        group: ['electron'],
        message: 'The engine is Electron-free: only src/main/index.ts, ipc.ts and desktop/ import electron.',
      },
      { group: ['dockerode'], message: 'Only src/main/docker/ imports dockerode.' },
      { group: ['simple-git'], message: 'Only src/main/git/ and src/main/sources/ run git.' },
      { group: ['@octokit/*', 'octokit'], message: 'Only src/main/github/ imports Octokit.' },
    ]),
  },
  {
    files: ['src/main/docker/**'],
    rules: restrict([
      { group: ['electron'], message: 'The engine is Electron-free.' },
      { group: ['simple-git'], message: 'Only src/main/git/ and src/main/sources/ run git.' },
      { group: ['@octokit/*', 'octokit'], message: 'Only src/main/github/ imports Octokit.' },
    ]),
  },
  {
    files: ['src/main/git/**', 'src/main/sources/**'],
    rules: restrict([
      { group: ['electron'], message: 'The engine is Electron-free.' },
      { group: ['dockerode'], message: 'Only src/main/docker/ imports dockerode.' },
      { group: ['@octokit/*', 'octokit'], message: 'Only src/main/github/ imports Octokit.' },
    ]),
  },
  {
    files: ['src/main/github/**'],
    rules: restrict([
      { group: ['electron'], message: 'The engine is Electron-free.' },
      { group: ['dockerode'], message: 'Only src/main/docker/ imports dockerode.' },
      { group: ['simple-git'], message: 'Only src/main/git/ and src/main/sources/ run git.' },
    ]),
  },
  {
    files: ['src/**'],
    ignores: ['src/preload/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "Identifier[name='ipcRenderer']", message: 'Only the preload touches ipcRenderer.' },
      ],
    },
  },
)
