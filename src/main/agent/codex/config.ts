/**
 * How Codex CLI runs in the sandbox: its CODEX_HOME (in the task's HOME, kept for the task's life so a
 * follow-up can resume the session), the generated `config.toml` whose only provider is the host's model
 * proxy as the container sees it, and the `codex exec` command line of the pinned version (0.171.0:
 * agent-image/codex/Dockerfile).
 */

export const CODEX_HOME = '/home/agent/.codex'
/** The provider's `env_key`: the variable holding the per-task placeholder, never a real key. */
export const CODEX_KEY_ENV = 'CODEX_SYS_MODEL_KEY'
export const CODEX_PROVIDER_ID = 'codex_sys'
/** The model proxy as the container reaches it: the relay's 127.0.0.1:3129 → model.sock. */
export const CODEX_PROXY_BASE_URL = 'http://127.0.0.1:3129/v1'

const tomlString = (value: string): string => JSON.stringify(value)

/** The `config.toml` of a task's Codex: the model and one provider, the model proxy; nothing else. */
export function codexConfigToml(model: string): string {
  return [
    '# Written by codex-sys for this task: every model request goes to the host’s model proxy, which',
    '# holds the real key and the budget. The key variable below holds only a per-task placeholder.',
    `model = ${tomlString(model)}`,
    `model_provider = ${tomlString(CODEX_PROVIDER_ID)}`,
    'approval_policy = "never"',
    'sandbox_mode = "danger-full-access"',
    // No update checks, telemetry or other calls out: the sandbox reaches nothing but the model proxy.
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    `[model_providers.${CODEX_PROVIDER_ID}]`,
    'name = "codex-sys model proxy"',
    `base_url = ${tomlString(CODEX_PROXY_BASE_URL)}`,
    `env_key = ${tomlString(CODEX_KEY_ENV)}`,
    'wire_api = "responses"',
    // The proxy refuses a spent budget with a 429: retrying it only delays the end.
    'request_max_retries = 1',
    'stream_max_retries = 1',
    '',
  ].join('\n')
}

/** Writes the config into CODEX_HOME from inside the sandbox (the host never writes into the task's HOME). */
export const WRITE_CONFIG_SCRIPT =
  'set -e; mkdir -p "$CODEX_HOME"; chmod 0700 "$CODEX_HOME"; rm -f "$CODEX_HOME/config.toml"; ' +
  'cat > "$CODEX_HOME/config.toml"'

const COMMON_FLAGS = ['--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox']

/**
 * The command: a fresh `codex exec` on /workspace with the prompt on stdin, or — a follow-up of a turn
 * whose thread id Codex reported — `codex exec resume <thread>`, which carries the whole session on.
 */
export function codexArgv(opts: { model: string; resumeThread?: string }): string[] {
  if (opts.resumeThread) {
    return ['codex', 'exec', 'resume', ...COMMON_FLAGS, '-m', opts.model, opts.resumeThread, '-']
  }
  return ['codex', 'exec', ...COMMON_FLAGS, '-C', '/workspace', '-m', opts.model, '-']
}

/** The environment of the Codex process: its home and the placeholder, nothing else of ours. */
export function codexEnv(placeholder: string): Record<string, string> {
  return { CODEX_HOME, [CODEX_KEY_ENV]: placeholder, NO_COLOR: '1', RUST_LOG: 'warn' }
}
