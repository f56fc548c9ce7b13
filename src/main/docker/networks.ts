import type Docker from 'dockerode'
import { AppError } from '../errors'
import { dockerStatusCode, toDockerAppError } from './client'
import { FULL_NETWORK } from './container-spec'
import { engineAnswers, isPodman, type EngineAnswers } from './engine-kind'

export { FULL_NETWORK } from './container-spec'

/** The label that marks the networks codex-sys made (value: the network's role). */
export const NETWORK_LABEL = 'codex-sys.network'
const ICC_OPTION = 'com.docker.network.bridge.enable_icc'

/**
 * What `codex-sys-full` is: a bridge of its own (a route out through the host's NAT, Docker's embedded
 * DNS), with traffic between its containers dropped (`enable_icc=false`) — so one task's sandbox cannot
 * reach another's — and no IPv6. Docker isolates bridge networks from one another, so it cannot reach
 * containers on the default bridge either.
 */
export function fullNetworkOptions(): Docker.NetworkCreateOptions {
  return {
    Name: FULL_NETWORK,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: false,
    Attachable: false,
    EnableIPv6: false,
    Options: { [ICC_OPTION]: 'false' },
    Labels: { [NETWORK_LABEL]: 'full' },
  }
}

interface NetworkFacts {
  Id: string
  Driver?: string
  EnableIPv6?: boolean
  Internal?: boolean
  Options?: Record<string, string> | null
  Labels?: Record<string, string> | null
}

/** Why an existing network by that name is not one to put a sandbox on, or undefined when it is. */
export function unfitReason(info: NetworkFacts): string | undefined {
  if (info.Labels?.[NETWORK_LABEL] !== 'full')
    return `it was not made by codex-sys (no ${NETWORK_LABEL} label)`
  if (info.Driver !== 'bridge') return `its driver is ${info.Driver ?? 'unknown'}, not bridge`
  if (info.Options?.[ICC_OPTION] !== 'false') return 'traffic between its containers is allowed'
  if (info.EnableIPv6) return 'it has IPv6'
  if (info.Internal) return 'it is internal (no route out)'
  return undefined
}

/**
 * Why this engine cannot have the `full` network, or undefined when it can. Podman cannot: its bridge
 * networks always carry traffic between their containers. Its Docker API drops `enable_icc` (with a
 * warning, and stores no option), and its own `isolate=true` (libpod API only) blocks traffic between
 * networks that have it, not between the containers of one network — no equivalent: one task's sandbox
 * could reach another's. So `full` is refused there, before anything is made.
 */
export function fullNetworkRefusal(answers: EngineAnswers | undefined): AppError | undefined {
  if (!answers || !isPodman(answers)) return undefined
  return new AppError(
    'unsupported',
    "Podman cannot give a sandbox full network access on its own: a Podman network lets its containers reach each other (it has no equivalent of Docker's enable_icc=false), so one task could reach another's sandbox.",
    {
      hint: 'Choose another network mode for this phase (registries or custom, in Settings → Network or the task’s network), or use a Docker engine for full access.',
      details: { network: FULL_NETWORK, engine: 'podman' },
    },
  )
}

const inFlight = new WeakMap<Docker, Promise<string>>()

async function inspectNetwork(docker: Docker): Promise<NetworkFacts | undefined> {
  try {
    return (await docker.getNetwork(FULL_NETWORK).inspect()) as NetworkFacts
  } catch (err) {
    if (dockerStatusCode(err) === 404) return undefined
    throw toDockerAppError(err, `Could not look up the Docker network ${FULL_NETWORK}`)
  }
}

function checked(info: NetworkFacts): string {
  const reason = unfitReason(info)
  if (reason) {
    throw new AppError('container_failed', `The Docker network ${FULL_NETWORK} exists, but ${reason}.`, {
      hint: `Remove it (\`docker network rm ${FULL_NETWORK}\`, after stopping what uses it); codex-sys makes its own.`,
      details: { network: FULL_NETWORK, id: info.Id },
    })
  }
  return info.Id
}

async function ensure(docker: Docker): Promise<string> {
  const refusal = fullNetworkRefusal(await engineAnswers(docker))
  if (refusal) throw refusal
  const found = await inspectNetwork(docker)
  if (found) return checked(found)
  try {
    await docker.createNetwork(fullNetworkOptions())
  } catch (err) {
    // 409: another process made it meanwhile; look at what it made.
    if (dockerStatusCode(err) !== 409) {
      throw toDockerAppError(err, `Could not create the Docker network ${FULL_NETWORK}`)
    }
  }
  const made = await inspectNetwork(docker)
  if (!made)
    throw new AppError('container_failed', `The Docker network ${FULL_NETWORK} vanished as it was made.`)
  return checked(made)
}

/**
 * Makes sure the `full` mode's network exists and is what it should be (see `fullNetworkOptions`);
 * returns its id. Created on first use, labelled, and left in place (it costs nothing idle). A network
 * of that name that someone else made, or that lets containers talk to each other, is refused, not used;
 * so is an engine that cannot make one (`fullNetworkRefusal`).
 */
export function ensureFullNetwork(docker: Docker): Promise<string> {
  let pending = inFlight.get(docker)
  if (!pending) {
    pending = ensure(docker).finally(() => inFlight.delete(docker))
    inFlight.set(docker, pending)
  }
  return pending
}
