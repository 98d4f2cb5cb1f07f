import { writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDirectClient } from './harness/direct-client.ts';
import { measureBundles } from './figures/bundles.ts';
import { measureBurst } from './figures/burst.ts';
import { measureCancel } from './figures/cancel.ts';
import { measureColdStart } from './figures/coldstart.ts';
import { measureCost } from './figures/cost.ts';
import type { BenchContext } from './figures/context.ts';
import { measureLatency } from './figures/latency.ts';
import { measureLoad } from './figures/load.ts';
import { measureMemory } from './figures/memory.ts';
import { measureRounds } from './figures/rounds.ts';
import { measureStorage } from './figures/storage.ts';
import { startModelProcess, startStackProcess } from './harness/processes.ts';
import { type BenchResults, renderTable, type Row } from './report.ts';
import { RESULTS_FILE, writeResultsDoc } from './results-doc.ts';
import { closeClientSockets } from './harness/stream-client.ts';

/**
 * `npm run bench`: the local stack (DynamoDB Local, the offline model server with fixed
 * timings) measured against its baselines, one table on stdout, every figure in
 * bench/results.json and its table in docs/performance.md. Three processes, as in AWS
 * three machines: this one is the client (and runs the direct `openai` baseline), one
 * runs the stack, one the model.
 */

const FIGURES = ['bundles', 'rounds', 'latency', 'burst', 'cancel', 'storage', 'load', 'cost', 'memory', 'coldstart'] as const;
type Figure = (typeof FIGURES)[number];

/** `--only=burst,cancel` runs just those figures (while working on one), written to a temp file instead of the results. */
const only = (): Set<Figure> | undefined => {
  const arg = process.argv.find((a) => a.startsWith('--only='));
  if (!arg) return undefined;
  const names = arg.slice('--only='.length).split(',');
  const unknown = names.filter((n) => !FIGURES.includes(n as Figure));
  if (unknown.length) throw new Error(`unknown figure(s) ${unknown.join(', ')}; choose from ${FIGURES.join(', ')}`);
  return new Set(names as Figure[]);
};

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface Measured {
  rows: Row[];
  data: unknown;
}

const main = async () => {
  const started = Date.now();
  const selected = only();
  const wanted = (figure: Figure) => !selected || selected.has(figure);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const results: Partial<Record<Figure, Measured>> = {};
  if (wanted('bundles')) results.bundles = await measureBundles(progress);

  const onStack = {
    rounds: measureRounds,
    latency: measureLatency,
    burst: measureBurst,
    cancel: measureCancel,
    storage: measureStorage,
    load: measureLoad,
    cost: measureCost,
    memory: measureMemory,
    coldstart: measureColdStart,
  };
  const stackFigures = (Object.keys(onStack) as (keyof typeof onStack)[]).filter(wanted);
  if (stackFigures.length) {
    const model = await startModelProcess();
    const stack = await startStackProcess(model.url).catch(async (err: unknown) => {
      await model.stop();
      throw err;
    });
    progress(`stack on ${stack.url}, model server on ${model.url}`);
    const context: BenchContext = { stack, model, direct: createDirectClient(model.url), progress };
    try {
      for (const figure of stackFigures) results[figure] = await onStack[figure](context);
    } finally {
      closeClientSockets();
      await stack.stop();
      await model.stop();
    }
  }

  const order: Figure[] = ['rounds', 'latency', 'burst', 'cancel', 'storage', 'bundles', 'load', 'cost', 'memory', 'coldstart'];
  const rows = order.flatMap((figure) => results[figure]?.rows ?? []);
  const table = renderTable(rows);
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
  const date = new Date().toISOString();
  process.stdout.write(`\nnpm run bench — ${date.slice(0, 10)}, ${machine.cores} cores (${machine.cpu}), node ${machine.node}\n\n${table}\n`);
  const durationS = Math.round((Date.now() - started) / 1000);
  const figures = Object.fromEntries(order.flatMap((figure) => (results[figure] ? [[figure, results[figure].data]] : [])));
  const file = selected ? pathToFileURL(join(tmpdir(), 'bench-partial.json')) : RESULTS_FILE;
  const output: BenchResults = { date, machine, durationS, table, rows, figures };
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  if (!selected) writeResultsDoc(output);
  progress(`done in ${durationS} s; results in ${fileURLToPath(file)}${selected ? '' : ' and docs/performance.md'}`);
};

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
