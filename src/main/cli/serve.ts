/**
 * The headless server: the app's engine and contract over HTTP + Server-Sent Events, serving the built
 * web UI, plus the seed's REST calls.
 *
 *   npm run serve -- [--port 8080] [--host 127.0.0.1] [--data-dir DIR] [--token-file PATH | --no-token]
 *                    [--allow-origin ORIGIN]…
 *
 * Every request needs the server's access token, on loopback too (any local process, of any user, can
 * reach 127.0.0.1). The token comes from CODEX_SERVER_TOKEN or --token-file, else is generated; never
 * from the command line, which `ps` shows to everyone. It is printed as a `?token=` address and written
 * (mode 0600) to `<data dir>/server-token` for scripts. `--no-token` (loopback only) opts out, loudly.
 * OPENAI_API_KEY and GITHUB_TOKEN from the environment are used for this session (never written);
 * otherwise the keys come from the OS keychain.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openServices } from '../app-services'
import { defaultBaseImage } from '../docker/image'
import { toErrorData } from '../errors'
import { openSecretStore } from '../secrets/open-secret-store'
import { checkTokenShape, generateToken, isLoopbackHost, normalizeOrigin } from '../server/access'
import { createAppServer } from '../server/app-server'
import { withSessionSecrets } from '../server/env-secrets'
import { readTokenFile, writeTokenFile } from '../server/token-file'
import { openFileSettings } from '../settings/file-settings'
import { agentImageDir, defaultDataDir } from './paths'

const USAGE = `Usage: npm run serve -- [--port 8080] [--host 127.0.0.1] [--data-dir DIR]
                          [--token-file PATH | --no-token] [--allow-origin ORIGIN]…

Options:
  --port N           port to listen on (default 8080; 0 picks a free one)
  --host H           address to bind (default 127.0.0.1)
  --data-dir DIR     tasks, settings and uploads (default: $CODEX_DATA_DIR, else ~/.local/share/codex-sys;
                     on Windows %LOCALAPPDATA%\\codex-sys)
  --token-file PATH  read the access token from PATH (a file only you can read); else $CODEX_SERVER_TOKEN;
                     else one is generated. Either way it is written to <data dir>/server-token (mode 0600).
  --no-token         serve without a token (loopback only): every process and every user of this machine
                     can then use the server
  --allow-origin O   let pages served from origin O (e.g. http://localhost:8000) call the original service's
                     API (POST /api/task, its status and logs) with CORS; repeatable. They still need the
                     token unless --no-token. Nothing else is opened to them.
Environment: CODEX_SERVER_TOKEN (the access token), OPENAI_API_KEY, GITHUB_TOKEN (used for this session,
  never stored), CODEX_ALLOW_ORIGINS (origins as --allow-origin, comma-separated), CODEX_BASE_IMAGE (base
  of the agent image; default ${defaultBaseImage()}).`

const NO_ARGV_TOKEN = `--token is not accepted: the command line of a process is visible to every user of this
machine (ps, /proc/<pid>/cmdline), so a token given there is no secret.
Instead put it in the environment (CODEX_SERVER_TOKEN=…), or in a file only you can read and pass
--token-file PATH — or give none and the server generates one.`

const noTokenWarning = (
  url: string,
): string => `WARNING: --no-token: ${url} answers without a token. Every process and every user on this
machine can then use it — read your tasks and their logs, change the settings (including where your API key
and GitHub token are sent), and run tasks on any folder this account can read — and so can containers on
Docker Desktop, through host.docker.internal. Leave --no-token out to require the token.`

interface Options {
  port: number
  host: string
  dataDir: string
  /** Origins whose pages may call the seed API (--allow-origin, CODEX_ALLOW_ORIGINS). */
  allowOrigins: string[]
  /** Where the token comes from; `none` with --no-token. */
  token:
    { from: 'env'; value: string } | { from: 'file'; path: string } | { from: 'generated' } | { from: 'none' }
}

/** The options, or the exit code and what to print (to stdout for --help, else to stderr). */
function parseCommandLine(args: string[]): Options | { code: number; message: string } {
  const usage = (message: string): { code: number; message: string } => ({
    code: 2,
    message: `${message}\n\n${USAGE}`,
  })
  if (args.some((arg) => arg === '--token' || arg.startsWith('--token='))) {
    return { code: 2, message: NO_ARGV_TOKEN }
  }
  let values
  try {
    values = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'token-file': { type: 'string' },
        'no-token': { type: 'boolean' },
        'allow-origin': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    return usage((err as Error).message)
  }
  if (values.help) return { code: 0, message: USAGE }
  const port = Number(values.port ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return usage('--port takes a number from 0 to 65535.')
  const host = values.host || '127.0.0.1'
  const envToken = process.env.CODEX_SERVER_TOKEN || undefined
  const tokenFile = values['token-file']
  let token: Options['token']
  if (values['no-token']) {
    if (!isLoopbackHost(host)) {
      return usage(
        `--no-token is refused on ${host}: only a server bound to loopback (127.0.0.1) may serve without ` +
          'a token, and even then every local process and user can use it.',
      )
    }
    if (envToken !== undefined || tokenFile !== undefined) {
      return usage('--no-token contradicts the token given (CODEX_SERVER_TOKEN or --token-file).')
    }
    token = { from: 'none' }
  } else if (envToken !== undefined && tokenFile !== undefined) {
    return usage('Give the token in CODEX_SERVER_TOKEN or with --token-file, not both.')
  } else if (tokenFile !== undefined) {
    if (!tokenFile) return usage('--token-file needs a path.')
    token = { from: 'file', path: resolve(tokenFile) }
  } else if (envToken !== undefined) {
    try {
      checkTokenShape(envToken)
    } catch (err) {
      return usage(`CODEX_SERVER_TOKEN: ${(err as Error).message}`)
    }
    token = { from: 'env', value: envToken }
  } else {
    token = { from: 'generated' }
  }
  const allowOrigins: string[] = []
  const fromEnv = (process.env.CODEX_ALLOW_ORIGINS ?? '').split(',').map((o) => o.trim())
  for (const origin of [...(values['allow-origin'] ?? []), ...fromEnv.filter(Boolean)]) {
    try {
      const normalized = normalizeOrigin(origin)
      if (!allowOrigins.includes(normalized)) allowOrigins.push(normalized)
    } catch (err) {
      return usage(`--allow-origin: ${toErrorData(err).message} ${toErrorData(err).hint ?? ''}`.trim())
    }
  }
  // Nothing this process starts (docker, git) needs the token.
  delete process.env.CODEX_SERVER_TOKEN
  return {
    port,
    host,
    allowOrigins,
    dataDir: resolve(values['data-dir'] || process.env.CODEX_DATA_DIR || defaultDataDir()),
    token,
  }
}

async function resolveToken(token: Options['token']): Promise<string | undefined> {
  switch (token.from) {
    case 'env':
      return token.value
    case 'file':
      return readTokenFile(token.path)
    case 'generated':
      return generateToken()
    case 'none':
      return undefined
  }
}

const shellQuote = (text: string): string =>
  /^[\w./~:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`

async function main(): Promise<number | undefined> {
  const parsed = parseCommandLine(process.argv.slice(2))
  if (!('dataDir' in parsed)) {
    ;(parsed.code === 0 ? console.log : console.error)(parsed.message)
    return parsed.code
  }
  const opts = parsed
  const token = await resolveToken(opts.token).catch((err: unknown) => {
    const error = toErrorData(err)
    console.error(`${error.message}${error.hint ? `\n${error.hint}` : ''}`)
    return null
  })
  if (token === null) return 2

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
    ...(token === undefined ? { noToken: true } : { token }),
    allowOrigins: opts.allowOrigins,
    uploadDir: join(opts.dataDir, 'uploads'),
  }).catch(async (err: unknown) => {
    await services.engine.close()
    throw err
  })
  // Written once we listen, so a server that failed to start never replaces the token of one running.
  const tokenFile =
    token === undefined
      ? undefined
      : await writeTokenFile(opts.dataDir, token).catch(async (err: unknown) => {
          await Promise.all([server.close(), services.engine.close()])
          throw err
        })

  if (token === undefined || tokenFile === undefined) {
    console.log(`codex-sys is serving ${server.url}/`)
    console.error(noTokenWarning(server.url))
  } else {
    console.log(`codex-sys is serving ${server.url}/?token=${encodeURIComponent(token)}`)
    console.log('Open that address in your browser once: it keeps the token in a cookie.')
    console.log(`For scripts, the token is in ${tokenFile} (readable by you only):`)
    console.log(
      `  curl -H "Authorization: Bearer $(cat ${shellQuote(tokenFile)})" ${server.url}/api/task/<id>/status`,
    )
  }
  for (const origin of opts.allowOrigins) {
    console.log(`Pages from ${origin} may call ${server.url}/api/task, its status and its logs.`)
  }
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
