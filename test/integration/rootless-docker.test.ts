import { rootlessSuite } from './rootless-suite'

// Rootless Docker (root inside is the user) on this machine: see rootless-suite.ts and scripts/rootless-podman.sh.
rootlessSuite('docker')
