import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { logicalIdOf, synth } from '../../test/stack/synth.ts';
import { fmt, type Row } from '../report.ts';
import { median } from '../stats.ts';

const KB = 1024;
const IMPORT_RUNS = 5;
const HANDLERS = {
  api: { prefix: 'ApiHandler', entry: 'lambdas/api/handler.ts' },
  stream: { prefix: 'ChatStreamHandler', entry: 'lambdas/chat-stream/handler.ts' },
} as const;
type Handler = keyof typeof HANDLERS;

/** What the Lambda runtime provides before it imports a streaming handler. */
const RUNTIME_GLOBAL = 'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };';

/**
 * A fresh node per run, as a cold start is, with the deployed NODE_OPTIONS: the probe
 * imports the bundle and reports the import's own time; the empty script is the same
 * process without the import. Wall times are from spawn to exit.
 */
const coldImport = (bundle: string, work: string) => {
  const probe = join(work, 'probe.mjs');
  const empty = join(work, 'empty.mjs');
  writeFileSync(
    probe,
    `${RUNTIME_GLOBAL}\nconst t = performance.now();\nawait import(${JSON.stringify(pathToFileURL(bundle).href)});\nprocess.stdout.write(String(performance.now() - t));\n`,
  );
  writeFileSync(empty, `${RUNTIME_GLOBAL}\nprocess.stdout.write('0');\n`);
  const env = { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps', AWS_REGION: 'us-east-1' };
  const run = (script: string) => {
    const start = process.hrtime.bigint();
    const out = spawnSync(process.execPath, [script], { env, encoding: 'utf8' });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (out.status !== 0) throw new Error(`cold import of ${bundle} failed: ${out.stderr}`);
    return { wallMs, importMs: Number(out.stdout) };
  };
  const withImport: { wallMs: number; importMs: number }[] = [];
  const without: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    without.push(run(empty).wallMs);
    withImport.push(run(probe));
  }
  const wall = median(withImport.map((r) => r.wallMs));
  const emptyWall = median(without);
  return {
    wallMs: wall,
    emptyWallMs: emptyWall,
    coldImportMs: wall - emptyWall,
    inProcessImportMs: median(withImport.map((r) => r.importMs)),
  };
};

/**
 * Bytes of the bundle per package, from an esbuild rebuild of the entry with the
 * deployed options plus a metafile (the CDK bundle itself has no metafile); its total is
 * printed beside the deployed size, so a drift between the two shows.
 */
const breakdown = async (entry: string) => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    charset: 'utf8',
    write: false,
    outfile: 'index.mjs',
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const byPackage: Record<string, number> = {};
  for (const [file, input] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(our code)';
    byPackage[name] = (byPackage[name] ?? 0) + input.bytesInOutput;
  }
  const sorted = Object.entries(byPackage).sort((a, b) => b[1] - a[1]);
  return { totalBytes: output.bytes, byPackage: Object.fromEntries(sorted) };
};

/** Figure 6: both functions bundled by the stack's own CDK code (esbuild, as `cdk deploy` would), sized and cold-imported. */
export const measureBundles = async (progress: (message: string) => void) => {
  const synthesized = synth({}, { bundle: true });
  const work = mkdtempSync(join(tmpdir(), 'bench-import-'));
  try {
    const template = synthesized.template.toJSON() as { Resources: Record<string, { Properties: { Code: { S3Key: string } } }> };
    const measured = {} as Record<Handler, { bytes: number; coldImport: ReturnType<typeof coldImport>; breakdown: Awaited<ReturnType<typeof breakdown>> }>;
    for (const name of Object.keys(HANDLERS) as Handler[]) {
      const fn = template.Resources[logicalIdOf(synthesized.template, 'AWS::Lambda::Function', HANDLERS[name].prefix)]!;
      const dir = join(synthesized.assembly.directory, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = join(dir, 'index.mjs');
      measured[name] = { bytes: statSync(bundle).size, coldImport: coldImport(bundle, work), breakdown: await breakdown(HANDLERS[name].entry) };
    }
    progress('bundles: synthesized, sized, imported');
    const { stream, api } = measured;
    const streamKb = stream.bytes / KB;
    const rows: Row[] = [
      {
        figure: '6. stream bundle (minified, map excluded)',
        value: fmt(streamKb, 'KB', 0),
        baseline: `api: ${fmt(api.bytes / KB, 'KB', 0)}`,
        target: '≤ 600 KB',
        pass: streamKb <= 600,
      },
      {
        figure: '   largest parts of the stream bundle',
        value: Object.entries(stream.breakdown.byPackage)
          .slice(0, 5)
          .map(([name, bytes]) => `${name.replace('@aws-sdk/', '')} ${fmt(bytes / KB, 'KB', 0)}`)
          .join(', '),
      },
      {
        figure: `   stream cold import (fresh node, median of ${IMPORT_RUNS})`,
        value: fmt(stream.coldImport.coldImportMs),
        baseline: `empty script ${fmt(stream.coldImport.emptyWallMs)}; api import ${fmt(api.coldImport.coldImportMs)}`,
        target: '≤ 40 ms',
        pass: stream.coldImport.coldImportMs <= 40,
      },
    ];
    return { rows, data: measured };
  } finally {
    rmSync(work, { recursive: true, force: true });
    synthesized.dispose();
  }
};
