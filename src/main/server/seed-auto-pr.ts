import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AppErrorData } from '../../shared/errors'
import type { TaskRecord } from '../../shared/task'
import type { TaskEngine } from '../engine/task-engine'
import { writeAtomic } from '../engine/task-store'
import { toErrorData } from '../errors'
import { gitHubRepoOf } from '../github'
import type { SettingsStore } from '../services'
import { pullRequestOf, type AutoPrState } from './seed-status'

/** Beside task.json: that an auto-PR was asked for, and how it ended. Never the token. */
const MARKER = 'seed-auto-pr.json'

interface Marker {
  requestedAt: string
  /** The token came with a source that is not a GitHub repository: no pull request, token dropped. */
  notGitHub?: boolean
  error?: AppErrorData
}

/** A github_token as the seed's form sends it: visible ASCII (it goes into an HTTP header), 1 to 512. */
export const isTokenShaped = (token: string): boolean => /^[\x21-\x7e]{1,512}$/.test(token)

/**
 * The seed's contract for `github_token`: a task submitted with one (and a GitHub git_url) opens a pull
 * request by itself when it reaches review, through the engine's publish path with that token.
 *
 * The token lives only here, in this server process's memory, for that one task: it is not written to disk
 * (only a marker saying an auto-PR was asked for), not logged, not put in an event or a container, and is
 * forgotten once the pull request was tried or the task ended. A server restarted before the task reached
 * review cannot open the pull request (the token is gone): the status then says so (`lost`).
 */
export class SeedAutoPr {
  private readonly tokens = new Map<string, string>()
  private readonly opening = new Set<string>()
  private readonly markers = new Map<string, Marker | null>()
  private readonly stop: () => void

  constructor(
    private readonly engine: TaskEngine,
    private readonly settings: SettingsStore,
  ) {
    this.stop = engine.subscribeRecords((task) => this.changed(task))
  }

  close(): void {
    this.stop()
    this.tokens.clear()
  }

  /** Whether a task from this git URL (undefined: not git) can get a pull request. */
  canOpenFor(gitUrl: string | undefined): boolean {
    return gitUrl !== undefined && gitHubRepoOf(gitUrl, this.settings.get().githubApiUrl) !== undefined
  }

  /** Holds `token` for the task just submitted; runs at once if it is already in review. */
  async request(task: TaskRecord, token: string): Promise<void> {
    const gitUrl = task.source.kind === 'git' ? task.source.url : undefined
    if (!this.canOpenFor(gitUrl)) {
      await this.saveMarker(task.id, { requestedAt: new Date().toISOString(), notGitHub: true })
      return
    }
    this.tokens.set(task.id, token)
    await this.saveMarker(task.id, { requestedAt: new Date().toISOString() })
    this.changed(this.engine.get(task.id))
  }

  state(task: TaskRecord): AutoPrState {
    if (this.opening.has(task.id)) return { state: 'opening' }
    if (this.tokens.has(task.id)) return { state: 'waiting' }
    const marker = this.marker(task.id)
    if (!marker) return { state: 'none' }
    if (marker.notGitHub) return { state: 'not_github' }
    if (marker.error) return { state: 'failed', error: marker.error }
    if (pullRequestOf(task)) return { state: 'none' }
    return { state: 'lost' }
  }

  private changed(task: TaskRecord): void {
    const token = this.tokens.get(task.id)
    if (token === undefined || this.opening.has(task.id)) return
    if (task.status === 'failed' || task.status === 'cancelled' || task.status === 'interrupted') {
      this.tokens.delete(task.id)
      return
    }
    if (task.status !== 'review') return
    this.opening.add(task.id)
    // Not from inside the store's change notification: the turn that set `review` is still finishing.
    setImmediate(() => void this.open(task.id, token))
  }

  private async open(id: string, token: string): Promise<void> {
    try {
      const task = this.engine.get(id)
      if (pullRequestOf(task)) return
      if (!task.diff?.files) {
        await this.fail(id, {
          kind: 'invalid_input',
          message: 'No pull request was opened: the agent changed no file.',
          hint: 'Describe the change more precisely and submit the task again.',
        })
        return
      }
      await this.engine.publish(
        {
          kind: 'pull_request',
          id,
          title: task.title.trim().slice(0, 256) || 'Changes by codex-sys',
          body: pullRequestBody(task),
          draft: false,
          fork: false,
        },
        token,
      )
    } catch (err) {
      const error = toErrorData(err)
      await this.fail(id, {
        kind: error.kind,
        message: `The change is ready, but the pull request was not opened: ${scrub(error.message, token)}`,
        ...(error.hint ? { hint: scrub(error.hint, token) } : {}),
      }).catch(() => undefined)
    } finally {
      this.tokens.delete(id)
      this.opening.delete(id)
    }
  }

  private async fail(id: string, error: AppErrorData): Promise<void> {
    const marker = this.marker(id) ?? { requestedAt: new Date().toISOString() }
    await this.saveMarker(id, { ...marker, error })
  }

  private marker(id: string): Marker | undefined {
    let marker = this.markers.get(id)
    if (marker === undefined) {
      marker = readMarker(this.markerPath(id))
      this.markers.set(id, marker)
    }
    return marker ?? undefined
  }

  private async saveMarker(id: string, marker: Marker): Promise<void> {
    this.markers.set(id, marker)
    await writeAtomic(this.markerPath(id), JSON.stringify(marker))
  }

  private markerPath(id: string): string {
    return join(this.engine.store.paths(id).dir, MARKER)
  }
}

function readMarker(path: string): Marker | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<Marker> | null
    return value && typeof value.requestedAt === 'string' ? (value as Marker) : null
  } catch {
    return null
  }
}

const scrub = (text: string, token: string): string => text.split(token).join('***')

function pullRequestBody(task: TaskRecord): string {
  const summary = task.summary?.trim() ? `${task.summary.trim()}\n\n` : ''
  const files = task.focusFiles.length ? `\n\n**Target file:** \`${task.focusFiles[0]}\`` : ''
  const body = `${summary}**Task:** ${task.prompt}${files}\n\nOpened by codex-sys for a task submitted with github_token.`
  return body.slice(0, 65_536)
}
