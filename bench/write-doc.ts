import { writeResultsDoc } from './results-doc.ts';

/** `npm run bench:doc`: bench/results.json's table into docs/performance.md again, without a run. */
writeResultsDoc();
