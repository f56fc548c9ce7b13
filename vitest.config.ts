import { defineConfig } from 'vitest/config'

// No test pulls the prebuilt agent image from the public registry (ghcr.io): engines build it here, or pull
// from a registry on 127.0.0.1 that a test starts (test/integration/agent-image-pull.test.ts).
process.env.CODEX_IMAGE_REGISTRY ??= ''

export default defineConfig({
  test: {
    reporters: ['default', './test/security/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
          sequence: { groupOrder: 0 },
          // Real files on a disk whose speed swings 10× with writeback: generous, not tight.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/agent-image-ready.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          // Docker-heavy suites share one engine on a 2-core machine: keep them from trampling each other.
          maxWorkers: 2,
        },
      },
      {
        test: {
          // Hostile inputs through the real paths (`npm run test:security`); see test/security/README.md.
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 2 },
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/agent-image-ready.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts', 'test/support/build-renderer.ts'],
          setupFiles: ['test/support/agent-image-ready.ts'],
          sequence: { groupOrder: 3 },
          testTimeout: 300_000,
          hookTimeout: 600_000,
          maxWorkers: 1,
        },
      },
      {
        test: {
          // Faults injected for real (`npm run test:faults`), after every other project: the suite kills and
          // restarts daemons and processes. Its table and closing line come from fault-report.ts.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: [
            'test/support/global-setup.ts',
            'test/support/build-renderer.ts',
            'test/faults/support/fault-report.ts',
          ],
          setupFiles: ['test/support/agent-image-ready.ts'],
          sequence: { groupOrder: 4 },
          testTimeout: 300_000,
          hookTimeout: 600_000,
          maxWorkers: 1,
        },
      },
    ],
  },
})
