import { rootlessSuite } from './rootless-suite'

// Rootless Podman (keep-id) on this machine: see rootless-suite.ts and scripts/rootless-podman.sh.
rootlessSuite('podman')
