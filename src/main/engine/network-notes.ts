import { describeBlock, type NetworkBlock } from '../../shared/network'

/** Blocked requests kept for the tool notes; older ones have been seen or no longer matter. */
const KEEP = 200

/**
 * What the agent is told about the network while its turn runs: the requests the policy proxy refused
 * during a tool call are appended to that call's result (so the model can choose another way), and a host
 * the user allows meanwhile becomes a message before its next model call.
 */
export class NetworkNotes {
  private blocks: Array<{ at: number; block: NetworkBlock }> = []
  private pending: string[] = []

  record(block: NetworkBlock, at = Date.now()): void {
    this.blocks.push({ at, block })
    if (this.blocks.length > KEEP) this.blocks.splice(0, this.blocks.length - KEEP)
  }

  /** The note for a tool call that started at `startedAt` (and ends now), or undefined. */
  toolNote(startedAt: number): string | undefined {
    const seen = new Map<string, NetworkBlock>()
    for (const { at, block } of this.blocks) {
      if (at >= startedAt) seen.set(`${block.host}:${block.port}:${block.rule}`, block)
    }
    if (seen.size === 0) return undefined
    const lines = [...seen.values()].slice(0, 10).map((b) => `- ${describeBlock(b)}`)
    return (
      `[codex-sys] The sandbox's network policy refused ${seen.size === 1 ? 'a request' : `${seen.size} requests`} ` +
      `during this command:\n${lines.join('\n')}\n` +
      'Work without it, or say in your summary which host the task needs (the user can allow it).'
    )
  }

  /** The user allowed `pattern` for this task. */
  allowed(pattern: string): void {
    this.pending.push(
      `The user allowed network access to ${pattern} for this task. Retry the command that needed it.`,
    )
  }

  /** Messages for the model, each given once. */
  take(): string[] {
    const out = this.pending
    this.pending = []
    return out
  }
}
