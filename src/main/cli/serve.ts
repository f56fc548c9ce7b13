/**
 * The headless server: the app's engine and contract over HTTP + Server-Sent Events, serving the built
 * web UI, plus the seed's REST calls.
 *
 *   npm run serve -- [--port 8080] [--host 127.0.0.1] [--data-dir DIR] [--token T]
 *
 * Bound to 127.0.0.1 by default. On any other address a token is required: given with --token or
 * CODEX_SERVER_TOKEN, else generated and printed. OPENAI_API_KEY and GITHUB_TOKEN from the environment
 * are used for this session (never written); otherwise the keys come from the OS keychain.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openServices } from '../app-services'
import { defaultBaseImage } from '../docker/image'
import { toErrorData } from '../errors'
import { openSecretStore } from '../secrets/open-secret-store'
import { createAppServer } from '../server/app-server'
import { withSessionSecrets } from '../server/env-secrets'
import { openFileSettings } from '../settings/file-settings'
import { agentImageDir } from './paths'

const USAGE = `Usage: npm run serve -- [--port 8080] [--host 127.0.0.1] [--data-dir DIR] [--token T]

Options:
  --port N         port to listen on (default 8080; 0 picks a free one)
  --host H         address to bind (default 127.0.0.1); any other address requires a token
  --data-dir DIR   tasks, settings and uploads (default: $CODEX_DATA_DIR, else ~/.local/share/codex-sys)
  --token T        the access token (also CODEX_SERVER_TOKEN); generated when needed and not given
Environment: OPENAI_API_KEY, GITHUB_TOKEN (used for this session, never stored),
  CODEX_BASE_IMAGE (base of the agent image; default ${defaultBaseImage()}).`

interface Options {
  port: number
  host: string
  dataDir: string
  token?: string
}

function parseCommandLine(): Options | undefined {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const port = Number(values.port ?? 8080)
  if (values.help || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(values.help ? USAGE : `--port takes a number from 0 to 65535.\n\n${USAGE}`)
    return undefined
  }
  const token = values.token || process.env.CODEX_SERVER_TOKEN || undefined
  if (token !== undefined && token.length < 16) {
    console.error('The token must be at least 16 characters long.')
    return undefined
  }
  return {
    port,
    host: values.host || '127.0.0.1',
    dataDir: resolve(
      values['data-dir'] || process.env.CODEX_DATA_DIR || join(homedir(), '.local/share/codex-sys'),
    ),
    token,
  }
}

async function main(): Promise<number | undefined> {
  const opts = parseCommandLine()
  if (!opts) return 2
  const settings = openFileSettings(opts.dataDir)
  if (settings.recovered) {
    console.error(`The settings file was damaged; a copy is in ${settings.recovered.backupPath}.`)
  }
  const secrets = withSessionSecrets(await openSecretStore(), {
    openai: process.env.OPENAI_API_KEY,
    github: process.env.GITHUB_TOKEN,
  })
  const keychain = await secrets.status()
  if (keychain.backend === 'session' && keychain.keychainProblem) {
    console.error(`Keys are kept for this session only: ${keychain.keychainProblem}`)
  }
  const services = await openServices({
    dataDir: opts.dataDir,
    settings,
    secrets,
    agentImage: { contextDir: agentImageDir(), baseImage: defaultBaseImage() },
  })
  const server = await createAppServer(services, {
    host: opts.host,
    port: opts.port,
    token: opts.token,
    uploadDir: join(opts.dataDir, 'uploads'),
  }).catch(async (err: unknown) => {
    await services.engine.close()
    throw err
  })
  const link = server.token ? `${server.url}/?token=${encodeURIComponent(server.token)}` : `${server.url}/`
  console.log(`codex-sys is serving ${link}`)
  if (server.token && !opts.token) console.log(`Access token (generated for this run): ${server.token}`)
  console.log(`Data in ${opts.dataDir}. Ctrl+C stops the server and cancels running tasks.`)

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143)
    stopping = true
    console.error('\nstopping…')
    void Promise.all([server.close(), services.engine.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  return undefined
}

main()
  .then((code) => {
    if (code !== undefined) process.exit(code)
  })
  .catch((err: unknown) => {
    const error = toErrorData(err)
    const inUse = (err as { code?: unknown } | null)?.code === 'EADDRINUSE'
    console.error(inUse ? 'That port is in use: choose another with --port.' : error.message)
    if (error.hint) console.error(error.hint)
    process.exit(1)
  })
