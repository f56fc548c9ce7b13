/**
 * Setup file of the projects that use Docker: a test file starts once the agent image the global setup
 * builds in the background (global-setup.ts) is there, and fails with the build's error when it failed.
 */
import { waitForTestImage } from './docker'

await waitForTestImage()
