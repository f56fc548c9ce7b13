import { join } from 'node:path'
import type { Settings } from '../../shared/settings'
import { isDockerDesktop } from '../docker/client'
import { collectCaBundle, writeCaBundle } from '../network/ca-bundle'
import type { DockerClient } from './turn-deps'

export interface HostTrust {
  /** The bundle's file, mounted read-only in every container. */
  path: string
  pem: string
}

/**
 * What the engine learns of the machine it runs on, once: the CA certificates the host trusts, and
 * whether the Docker engine can carry the policy proxy's unix socket.
 */
export class HostEnvironment {
  private trust: { extraPath: string | undefined; value: Promise<HostTrust> } | undefined
  private desktop: Promise<boolean> | undefined

  constructor(
    private readonly dataDir: string,
    private readonly settings: () => Settings,
    private readonly docker: DockerClient,
  ) {}

  /**
   * The host's CA certificates (system store, NODE_EXTRA_CA_CERTS, Settings' extra file), written once
   * (and again when Settings' file changes) for every container and the image build to trust.
   */
  hostTrust(): Promise<HostTrust> {
    const extraPath = this.settings().network.caBundlePath
    if (!this.trust || this.trust.extraPath !== extraPath) {
      const value = collectCaBundle({ extraPath }).then(async ({ pem }) => {
        const path = join(this.dataDir, 'ca-bundle.pem')
        await writeCaBundle(path, pem)
        return { path, pem }
      })
      // A failure is not kept: the next task asks again.
      value.catch(() => {
        if (this.trust?.value === value) this.trust = undefined
      })
      this.trust = { extraPath, value }
    }
    return this.trust.value
  }

  /**
   * Why the policy proxy cannot serve this engine's containers, if it cannot: Docker Desktop's VM does not
   * carry the proxy's unix socket (its path through host.docker.internal is not built yet).
   */
  async proxyUnsupported(): Promise<string | undefined> {
    this.desktop ??= isDockerDesktop(this.docker)
    return (await this.desktop)
      ? 'Docker Desktop does not carry the policy proxy’s socket into its VM yet.'
      : undefined
  }
}
