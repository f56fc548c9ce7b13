import { copyFile } from 'node:fs/promises'
import type { z } from 'zod'
import { calls, type CallName, type CallOutputs } from '../../shared/contract'
import type { Result } from '../../shared/errors'
import { endpointLabel, endpointOf } from '../../shared/secret-endpoints'
import { AppError, toErrorData } from '../errors'
import { currentEndpoints } from '../secrets/endpoints'
import { SECRET_LABELS } from '../secrets/keychain-errors'
import type { DesktopService, Services } from '../services'
import { pathExists } from '../util/fs'
import { createGitHubService } from './github-service'

export type Handlers = { [N in CallName]: (input: z.output<(typeof calls)[N]>) => Promise<CallOutputs[N]> }

function desktopOnly(desktop: DesktopService | undefined): DesktopService {
  if (desktop) return desktop
  throw new AppError('unsupported', 'This needs the desktop app.', {
    hint: 'In the browser, type the folder path on the server, or drop a ZIP file.',
  })
}

/** The engine's side of every call in the contract; each transport (IPC, HTTP) binds these. */
export function createHandlers(services: Services): Handlers {
  const { engine, settings, secrets, system, desktop } = services
  const github = createGitHubService(secrets, settings)
  const endpoints = () => currentEndpoints(settings.get())
  return {
    'tasks.submit': (input) => engine.submit(input),
    'tasks.list': async () => engine.list(),
    'tasks.get': async ({ id }) => engine.get(id),
    'tasks.cancel': ({ id }) => engine.cancel(id),
    'tasks.followUp': ({ id, prompt }) => engine.followUp(id, prompt),
    'tasks.resume': ({ id }) => engine.resume(id),
    'tasks.events': ({ id, afterSeq }) => engine.events(id, afterSeq),
    'tasks.diff': ({ id, turn }) => engine.diff(id, turn),
    'tasks.artifact': async ({ id, name }) => ({ name, content: (await engine.artifact(id, name)) ?? null }),
    'tasks.setExcluded': ({ id, paths, hunks }) => engine.setExcluded(id, paths, hunks),
    'tasks.comment': (input) => engine.review.comment(input),
    'tasks.discard': (input) => engine.review.discard(input),
    'tasks.undoDiscard': ({ id }) => engine.review.undoDiscard(id),
    'tasks.requestChanges': ({ id, note }) => engine.review.requestChanges(id, note),
    'tasks.saveFile': ({ id, path, content }) => engine.saveFile(id, path, content),
    'tasks.publish': (input) => engine.publish(input),
    'tasks.allowHost': ({ id, host }) => engine.allowHost(id, host),
    'github.status': () => github.status(),
    'github.repos': ({ page, query }) => github.repos(page, query),
    'settings.get': async () => settings.get(),
    'settings.update': async (patch) => {
      const next = await settings.update(patch)
      engine.settingsChanged()
      return next
    },
    'secrets.status': () => secrets.status(endpoints()),
    // A secret is bound to the endpoint in the settings when it is entered; it is sent nowhere else.
    'secrets.set': async ({ name, value }) => {
      await secrets.set(name, value, endpoints()[name])
      return secrets.status(endpoints())
    },
    'secrets.delete': async ({ name }) => {
      await secrets.delete(name)
      return secrets.status(endpoints())
    },
    'secrets.allowEndpoint': async ({ name, endpoint }) => {
      // Confirms exactly what the user was shown: if the settings moved since, they must look again.
      const current = endpoints()[name]
      if (endpointOf(endpoint) !== current) {
        throw new AppError(
          'conflict',
          `The ${SECRET_LABELS[name]} would now go to ${endpointLabel(current)}, not ${endpointLabel(endpoint)}.`,
          {
            hint: 'The endpoint changed in the meantime. Check it in Settings, then confirm again.',
            details: { name, endpoint: current },
          },
        )
      }
      await secrets.allowEndpoint(name, current)
      return secrets.status(endpoints())
    },
    'system.status': () => system.status(),
    'system.buildImage': () => system.buildImage(),
    'system.engines': () => engine.engineStatus(),
    'system.setupCache': () => engine.setupCacheUsage(),
    'system.clearSetupCache': () => engine.clearSetupCache(),
    'dialog.pickFolder': () => desktopOnly(desktop).pickFolder(),
    'dialog.pickZip': () => desktopOnly(desktop).pickZip(),
    'dialog.saveExport': async ({ id, format }) => {
      const service = desktopOnly(desktop)
      const artifact = format === 'zip' ? 'export.zip' : 'export.patch'
      const source = engine.store.artifactPath(id, artifact)
      if (!(await pathExists(source))) {
        throw new AppError('conflict', 'Export the change first.', { hint: 'Choose Export again.' })
      }
      const name = `${slug(engine.get(id).title)}.${format}`
      const dest = await service.pickSavePath(name, {
        name: format === 'zip' ? 'ZIP archive' : 'Patch',
        extensions: [format],
      })
      if (dest) await copyFile(source, dest)
      return dest
    },
    'shell.openExternal': async ({ url }) => {
      await desktopOnly(desktop).openExternal(url)
      return null
    },
  }
}

/** A file name from a task title: lowercase words joined by dashes. */
const slug = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'codex-sys-change'

/** Validates raw input against the contract, runs the handler, and never throws: errors become data. */
export async function invokeCall<N extends CallName>(
  handlers: Handlers,
  name: N,
  rawInput: unknown,
): Promise<Result<CallOutputs[N]>> {
  const schema = calls[name]
  if (!schema) return { ok: false, error: { kind: 'invalid_input', message: `Unknown call ${String(name)}` } }
  const parsed = schema.safeParse(rawInput ?? {})
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
    const message = issues.map((i) => `${i.path || 'input'}: ${i.message}`).join('; ')
    return { ok: false, error: { kind: 'invalid_input', message, details: { issues } } }
  }
  try {
    const handler = handlers[name] as (input: unknown) => Promise<CallOutputs[N]>
    return { ok: true, value: await handler(parsed.data) }
  } catch (err) {
    return { ok: false, error: toErrorData(err) }
  }
}
