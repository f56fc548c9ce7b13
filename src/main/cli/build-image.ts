/**
 * `npm run image`: builds the agent image (agent-image/) when the engine does not have it yet, printing
 * the build as it goes, and prints its tag. The engine also does this before a task; this is for
 * doing it ahead of time.
 *
 *   npm run image                      base from $CODEX_BASE_IMAGE, else debian:bookworm-slim
 *   npm run image -- --base IMAGE      another base image
 *
 * Exit code 0 with the tag on the last line, 1 on failure, 2 for bad arguments.
 */
import { parseArgs } from 'node:util'
import { checkDocker, createDockerClient } from '../docker/client'
import { agentImageTag, defaultBaseImage, ensureAgentImage, imageExists } from '../docker/image'
import { toErrorData } from '../errors'
import { collectCaBundle } from '../network/ca-bundle'
import { agentImageDir } from './paths'

async function main(): Promise<number> {
  let base: string
  try {
    const { values } = parseArgs({
      options: { base: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) {
      console.log(
        'Usage: npm run image [-- --base IMAGE]   (default base: $CODEX_BASE_IMAGE or debian:bookworm-slim)',
      )
      return 0
    }
    base = values.base?.trim() || defaultBaseImage()
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    return 2
  }

  const docker = createDockerClient()
  const contextDir = agentImageDir()
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  try {
    const engine = await checkDocker(docker)
    // The host's CAs, as the engine builds it (a TLS-inspecting proxy's CA makes RUN steps work).
    const { pem: caBundle } = await collectCaBundle()
    const tag = await agentImageTag(contextDir, base, caBundle)
    console.log(`Docker ${engine.version} (API ${engine.apiVersion}); agent image ${tag} on ${base}`)
    if (await imageExists(docker, tag)) {
      console.log(`${tag} is already built`)
    } else {
      const started = Date.now()
      await ensureAgentImage(docker, {
        contextDir,
        baseImage: base,
        caBundle,
        signal: controller.signal,
        onProgress: (line, ratio) => {
          const pct = ratio === undefined ? '    ' : `${String(Math.round(ratio * 100)).padStart(3)}%`
          console.log(`${pct} ${line}`)
        },
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
