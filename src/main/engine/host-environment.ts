import { join } from 'node:path'
import type { Settings } from '../../shared/settings'
import { isDockerDesktop } from '../docker/client'
import type { ProxyTransport } from '../docker/sandbox'
import { collectCaBundle, writeCaBundle } from '../network/ca-bundle'
import type { DockerClient } from './turn-deps'

export interface HostTrust {
  /** The bundle's file, mounted read-only in every container. */
  path: string
  pem: string
}

/**
 * What the engine learns of the machine it runs on, once: the CA certificates the host trusts, and
 * how the Docker engine's containers reach the policy proxy.
 */
export class HostEnvironment {
  private trust: { extraPath: string | undefined; value: Promise<HostTrust> } | undefined

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
   * How a proxied sandbox reaches the host's proxies: a bind mount of their unix sockets where the
   * engine shares the host's kernel (Linux, root or rootless), an exec tunnel over the Docker API where
   * its containers run in a VM whose file sharing does not carry sockets (Docker Desktop).
   */
  async proxyTransport(): Promise<ProxyTransport> {
    // Asked once per connection (engine-kind.ts): again after a reconnect, or an engine that was not up.
    return (await isDockerDesktop(this.docker)) ? 'exec' : 'socket'
  }
}
