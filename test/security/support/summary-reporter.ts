import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints the security suite's one-line verdict at the end of a run: `security: N cases, M held`. Every
 * test of the `security` project is a hostile case; it holds when it passed (a skipped or failed case
 * does not hold). Prints nothing when the run had no security case.
 */
export default class SecuritySummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let cases = 0
    let held = 0
    for (const module of testModules) {
      if (module.project.name !== 'security') continue
      for (const test of module.children.allTests()) {
        cases++
        if (test.result().state === 'passed') held++
      }
    }
    if (cases > 0) process.stdout.write(`\nsecurity: ${cases} cases, ${held} held\n`)
  }
}
