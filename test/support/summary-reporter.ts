import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

/**
 * Ends the run with the plain `N passed, N failed, N skipped` line CI reads, preceded by
 * one line per suite that could not run here (its tests skipped with `ctx.skip(reason)`,
 * the reason saying what is missing and how to install it), so a skip is never silent.
 * With CI=true a skipped test fails the run: CI installs everything (.ci/run), so a skip
 * there is a suite that silently stopped running.
 */
export default class SummaryReporter implements Reporter {
  private floorLeftOut = false;

  onInit(vitest: Vitest): void {
    const { coverage } = vitest.config;
    this.floorLeftOut = coverage.enabled && coverage.thresholds === undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const notRun: string[] = [];
    for (const module of testModules) {
      // A file that failed outside its tests (a beforeAll, an import) counts once, even
      // though its tests then show as skipped.
      if (module.state() === 'failed' && ![...module.children.allTests()].some((t) => t.result().state === 'failed')) counts.failed++;
      const reasons = new Map<string, number>();
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') counts.passed++;
        else if (result.state === 'failed') counts.failed++;
        else {
          counts.skipped++;
          if (result.state === 'skipped' && result.note) reasons.set(result.note, (reasons.get(result.note) ?? 0) + 1);
        }
      }
      const file = relative(process.cwd(), module.moduleId);
      for (const [reason, tests] of reasons) notRun.push(`not run: ${file} (${tests} tests): ${reason}`);
    }
    const lines = [...notRun];
    if (this.floorLeftOut) lines.push('coverage floor not applied: it counts every suite, and some cannot run here (CI=true applies it)');
    if (process.env.CI === 'true' && counts.skipped > 0) {
      lines.push(`CI=true: ${counts.skipped} tests skipped, and in CI a skip is a failure`);
      process.exitCode = 1;
    }
    console.log(`\n${[...lines, `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`].join('\n')}`);
  }
}
