/**
 * `npm run image`: builds the agent image (agent-image/) when the engine does not have it yet, printing
 * the build as it goes, and prints its tag. The engine also does this before a task; this is for
 * doing it ahead of time — on the engine the engine would use: Settings' (Settings → Docker, in the data
 * directory `npm run serve` uses), else found like the docker CLI finds it (DOCKER_HOST, the docker
 * context, the usual sockets), with Settings' extra CA file in the image as the engine puts it there.
 *
 *   npm run image                      base from $CODEX_BASE_IMAGE, else debian:bookworm-slim
 *   npm run image -- --base IMAGE      another base image
 *   npm run image -- --data-dir DIR    the settings of another data directory
 *   npm run image -- --registry REPO   pull the prebuilt image from REPO first ('' = build only;
 *                                      default: Settings' agentImage.registry)
 *   npm run image -- --print-tag [--variant codex]
 *                                      only print the tag (no engine needed), with the public roots
 *                                      alone as the image's CAs: what .github/workflows/agent-image.yml
 *                                      pushes, and what an engine without extra CAs looks for
 *
 * Exit code 0 with the tag on the last line, 1 on failure, 2 for bad arguments.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultSettings, type Settings } from '../../shared/settings'
import { checkDocker, createDockerClient, dockerEndpointOf } from '../docker/client'
import { describeEndpoint } from '../docker/engine-discovery'
import {
  agentImageTag,
  defaultBaseImage,
  ensureAgentImage,
  imageExists,
  pullAgentImage,
} from '../docker/image'
import { variantImageTag } from '../docker/variant-image'
import { toErrorData } from '../errors'
import { collectCaBundle } from '../network/ca-bundle'
import { openFileSettings } from '../settings/file-settings'
import { agentImageDir, defaultDataDir } from './paths'

const USAGE =
  'Usage: npm run image [-- --base IMAGE] [--data-dir DIR] [--registry REPO] [--print-tag [--variant codex]]\n' +
  '  --base IMAGE     base image (default: $CODEX_BASE_IMAGE, else debian:bookworm-slim)\n' +
  "  --data-dir DIR   whose settings say the engine and extra CAs (default: $CODEX_DATA_DIR, else npm run serve's)\n" +
  "  --registry REPO  pull the prebuilt image from REPO before building ('' = never; default: Settings')\n" +
  "  --print-tag      print the tag only (public roots as the CAs); --variant codex: the variant's"

/** The data directory's settings, as `npm run serve` reads them; the defaults when it has none (made nothing). */
function readSettings(dataDir: string): Settings {
  if (!existsSync(join(dataDir, 'settings.json'))) return defaultSettings()
  const store = openFileSettings(dataDir)
  if (store.recovered) {
    console.error(`The settings file was damaged; a copy is in ${store.recovered.backupPath}.`)
  }
  return store.get()
}

/** `--print-tag`: the agent image's tag (or its variant's) as built with the public roots alone. */
async function printTag(base: string, variant: string | undefined): Promise<number> {
  if (variant !== undefined && variant !== 'codex') {
    console.error(`Unknown variant ${variant} (known: codex)`)
    return 2
  }
  const tag = await agentImageTag(agentImageDir(), base)
  console.log(variant ? await variantImageTag(agentImageDir(), variant, tag) : tag)
  return 0
}

async function main(): Promise<number> {
  let base: string
  let dataDir: string
  let registry: string | undefined
  try {
    const { values } = parseArgs({
      options: {
        base: { type: 'string' },
        'data-dir': { type: 'string' },
        registry: { type: 'string' },
        'print-tag': { type: 'boolean' },
        variant: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
    if (values.help) {
      console.log(USAGE)
      return 0
    }
    base = values.base?.trim() || defaultBaseImage()
    dataDir = resolve(values['data-dir'] || process.env.CODEX_DATA_DIR || defaultDataDir())
    registry = values.registry
    if (values['print-tag']) return await printTag(base, values.variant)
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    return 2
  }

  const contextDir = agentImageDir()
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  try {
    // As the engine makes its client (task-engine.ts): Settings' engine wins, else discovery.
    const settings = readSettings(dataDir)
    const docker = createDockerClient({ host: settings.docker.host })
    const endpoint = dockerEndpointOf(docker)
    if (endpoint) console.log(`Engine at ${describeEndpoint(endpoint)}`)
    for (const note of endpoint?.notes ?? []) console.error(note)
    const engine = await checkDocker(docker)
    // The host's CAs and Settings' extra file, as the engine builds it (a TLS-inspecting proxy's CA makes
    // RUN steps work); the tag depends on them, so the engine finds this very image.
    const { pem: caBundle } = await collectCaBundle({ extraPath: settings.network.caBundlePath })
    const tag = await agentImageTag(contextDir, base, caBundle)
    console.log(`Docker ${engine.version} (API ${engine.apiVersion}); agent image ${tag} on ${base}`)
    const onProgress = (line: string, ratio?: number): void => {
      const pct = ratio === undefined ? '    ' : `${String(Math.round(ratio * 100)).padStart(3)}%`
      console.log(`${pct} ${line}`)
    }
    const from = (registry ?? settings.agentImage.registry).trim()
    if (await imageExists(docker, tag)) {
      console.log(`${tag} is already built`)
    } else if (from && (await pullAgentImage(docker, tag, { registry: from, onProgress }))) {
      console.log(`${tag} pulled from ${from}`)
    } else {
      const started = Date.now()
      await ensureAgentImage(docker, {
        contextDir,
        baseImage: base,
        caBundle,
        signal: controller.signal,
        onProgress,
      })
      console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }
    console.log(tag)
    return 0
  } catch (err) {
    const data = toErrorData(err)
    console.error(`error (${data.kind}): ${data.message}`)
    if (data.hint) console.error(`hint: ${data.hint}`)
    const lastLines = data.details?.lastLines
    if (Array.isArray(lastLines)) console.error(lastLines.map((l) => `  ${String(l)}`).join('\n'))
    return 1
  }
}

main().then((code) => process.exit(code))
