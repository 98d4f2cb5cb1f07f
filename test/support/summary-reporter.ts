import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with the plain `N passed, N failed, N skipped` line CI reads. Above it,
 * each test file whose tests were skipped with a note (`ctx.skip(note)`: a part this
 * machine lacks) is named once with that note, so a skip is never silent.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const notRun = new Set<string>();
    for (const module of testModules) {
      // A file that failed outside its tests (an import, a hook) counts once, even when its tests show as skipped.
      if (module.state() === 'failed' && ![...module.children.allTests()].some((test) => test.result().state === 'failed')) counts.failed++;
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') counts.passed++;
        else if (result.state === 'failed') counts.failed++;
        else {
          counts.skipped++;
          if (result.state === 'skipped' && result.note) notRun.add(`not run: ${relative(process.cwd(), module.moduleId)}: ${result.note}`);
        }
      }
    }
    if (notRun.size) console.log(`\n${[...notRun].join('\n')}`);
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
