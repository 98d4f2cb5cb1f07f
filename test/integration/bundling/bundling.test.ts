import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { FileSystem } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_FILE as ENTRY, readBundleGraph, staticClosure, type ImportGraph } from '../../../lib/bundling/bundle-graph.ts';
import { bundleFunction } from '../../../lib/bundling/function-bundle.ts';
import { setUpChatStream, type ChatStreamHarness } from '../chat-stream/support.ts';
import { httpApiEvent } from '../../support/api-call.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { logicalIdOf, synth } from '../../support/synth.ts';

/**
 * Bundles both functions for real, with the stack's own CDK code, and checks what
 * would be uploaded: `index.mjs` and the chunks esbuild split off, each with its map.
 * A cold start loads the entry and the chunks it imports statically ("cold-start
 * code"); every other chunk loads on first use. Ceilings in bytes of minified
 * JavaScript, maps excluded.
 */
const KB = 1024;
const COLD_START_CEILING = 600 * KB;
/** Both carry openai now (the api for the model test), in a chunk loaded on first use. */
const PACKAGE_CEILING = { api: 1400 * KB, stream: 1700 * KB };
const HANDLERS = {
  api: { prefix: 'ApiHandler', entry: 'lambdas/api/handler.ts' },
  stream: { prefix: 'ChatStreamHandler', entry: 'lambdas/chat-stream/handler.ts' },
} as const;
type Name = keyof typeof HANDLERS;

/** A string only that package's code contains (checked below to be in some chunk). */
const MARKERS = {
  openai: 'OPENAI_BASE_URL', // the environment variable its client reads
  S3: 'AmazonS3', // the service's name in its schemas
  KMS: 'TrentService',
  'Secrets Manager': 'secretsmanager', // its endpoint prefix
};
const LOADED_ON_FIRST_USE: Record<Name, (keyof typeof MARKERS)[]> = {
  api: ['openai', 'S3', 'KMS', 'Secrets Manager'],
  stream: ['openai', 'S3', 'KMS', 'Secrets Manager'],
};

/** What the Lambda runtime provides before it imports a streaming handler. */
const RUNTIME_GLOBAL = 'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s, prelude) => (s.setPrelude(prelude), s) } };';

interface Bundle {
  dir: string;
  assetHash: string;
  /** Every file on disk, relative to `dir`. */
  files: string[];
  /** The modules reachable from the entry, as esbuild reads them back from disk. */
  graph: ImportGraph;
  coldStart: Set<string>;
}

const bundles = {} as Record<Name, Bundle>;
let dispose = () => {};
const scratch = mkdtempSync(join(tmpdir(), 'bundling-test-'));

const text = (bundle: Bundle, file: string) => readFileSync(join(bundle.dir, file), 'utf8');
const size = (bundle: Bundle, file: string) => statSync(join(bundle.dir, file)).size;
const total = (bundle: Bundle, files: Iterable<string>) => [...files].reduce((sum, file) => sum + size(bundle, file), 0);
const modules = (bundle: Bundle) => bundle.files.filter((file) => file.endsWith('.mjs'));
const lazyModules = (bundle: Bundle) => modules(bundle).filter((file) => !bundle.coldStart.has(file));
const maps = (bundle: Bundle) =>
  bundle.files
    .filter((file) => file.endsWith('.map'))
    .map((file) => JSON.parse(text(bundle, file)) as { version: number; sources: string[]; sourcesContent?: unknown });

/** Runs a script with plain node (no vitest, no tsx), as Lambda would load the files. */
const runNode = async (script: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const file = join(scratch, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const { stdout } = await promisify(execFile)(process.execPath, [file, ...args], {
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env },
    timeout: 60_000,
  });
  return stdout;
};

beforeAll(async () => {
  const synthesized = synth({}, { bundle: true });
  dispose = synthesized.dispose;
  const resources = synthesized.template.toJSON().Resources;
  for (const name of Object.keys(HANDLERS) as Name[]) {
    const fn = resources[logicalIdOf(synthesized.template, 'AWS::Lambda::Function', HANDLERS[name].prefix)];
    const assetHash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const dir = join(synthesized.assembly.directory, `asset.${assetHash}`);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => statSync(join(dir, file)).isFile());
    const graph = await readBundleGraph(dir);
    bundles[name] = { dir, assetHash, files, graph, coldStart: staticClosure(graph, ENTRY) };
  }
}, 180_000);

afterAll(() => {
  dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(['api', 'stream'] as const)('the %s bundle', (name) => {
  it('ships index.mjs and the chunks it may import, each with its source map, nothing else', () => {
    const bundle = bundles[name];
    const mjs = modules(bundle);
    expect(mjs).toContain(ENTRY);
    expect(mjs.filter((file) => file !== ENTRY && !file.startsWith('chunks/'))).toEqual([]);
    expect(bundle.files.filter((file) => file.endsWith('.map')).sort()).toEqual(mjs.map((file) => `${file}.map`).sort());
    expect(bundle.files.filter((file) => !file.endsWith('.mjs') && !file.endsWith('.mjs.map'))).toEqual([]);
    // Read back from disk: every import names a file that exists, and no file is unreachable.
    expect(Object.keys(bundle.graph).sort()).toEqual(mjs.sort());
  });

  it('keeps what a cold start loads under 600 KB, and the whole package under its ceiling', () => {
    const bundle = bundles[name];
    expect(lazyModules(bundle).length).toBeGreaterThan(0);
    expect(total(bundle, bundle.coldStart)).toBeLessThanOrEqual(COLD_START_CEILING);
    expect(total(bundle, modules(bundle))).toBeLessThanOrEqual(PACKAGE_CEILING[name]);
  });

  it('leaves openai and the rarely used SDK clients to chunks loaded on first use', () => {
    const bundle = bundles[name];
    const coldStartCode = [...bundle.coldStart].map((file) => text(bundle, file)).join('\n');
    const lazyCode = lazyModules(bundle).map((file) => text(bundle, file));
    const where = (marker: string) => ({ coldStart: coldStartCode.includes(marker), onFirstUse: lazyCode.some((code) => code.includes(marker)) });
    const packages = LOADED_ON_FIRST_USE[name];
    expect(Object.fromEntries(packages.map((pkg) => [pkg, where(MARKERS[pkg])]))).toEqual(
      Object.fromEntries(packages.map((pkg) => [pkg, { coldStart: false, onFirstUse: true }])),
    );
  });

  it('names the chunk of each package it imports on first use after the package', () => {
    const names = modules(bundles[name]).map((file) => file.replace(/-[A-Z0-9]+\.mjs$/, ''));
    expect(names).toEqual(
      expect.arrayContaining(['chunks/openai', 'chunks/aws-sdk-client-s3', 'chunks/aws-sdk-client-kms', 'chunks/aws-sdk-client-secrets-manager']),
    );
    expect(names.filter((file) => file.includes('dist-es'))).toEqual([]);
  });

  it('takes node:http through require: its ES module facade loads undici on Node 22', () => {
    const bundle = bundles[name];
    expect(modules(bundle).filter((file) => /(from|import)\s*"(node:)?http"/.test(text(bundle, file)))).toEqual([]);
    expect(modules(bundle).some((file) => text(bundle, file).includes('("node:http")'))).toBe(true);
  });

  it('opens every file with the createRequire banner, for the CommonJS packages inside', () => {
    const bundle = bundles[name];
    const banner = 'import { createRequire as __createRequire } from';
    expect(modules(bundle).filter((file) => !text(bundle, file).startsWith(banner))).toEqual([]);
  });

  it('links lean source maps: only our TypeScript sources, without their text', () => {
    const bundle = bundles[name];
    const unlinked = modules(bundle).filter(
      (file) =>
        !text(bundle, file)
          .trimEnd()
          .endsWith(`//# sourceMappingURL=${basename(file)}.map`),
    );
    expect(unlinked).toEqual([]);
    const all = maps(bundle);
    expect(all.length).toBeGreaterThan(1);
    expect(all.every((map) => map.version === 3 && map.sourcesContent === undefined)).toBe(true);
    expect(all.flatMap((map) => map.sources).filter((source) => !/(^|\/)(lambdas|lib\/bundling)\/.+\.ts$/.test(source))).toEqual([]);
    const entryMap = JSON.parse(text(bundle, `${ENTRY}.map`)) as { sources: string[] };
    expect(entryMap.sources).toContain(`lambdas/${name === 'api' ? 'api' : 'chat-stream'}/handler.ts`);
    expect(
      total(
        bundle,
        bundle.files.filter((file) => file.endsWith('.map')),
      ),
    ).toBeLessThan(total(bundle, modules(bundle)) / 10);
  });

  it('is the same bytes wherever it is built, so its asset hash is the hash of the code', async () => {
    const elsewhere = mkdtempSync(join(scratch, `${name}-`));
    bundleFunction(HANDLERS[name].entry, elsewhere);
    expect(FileSystem.fingerprint(elsewhere)).toBe(bundles[name].assetHash);
  });

  it('loads in plain node, the entry and every chunk it may import later', async () => {
    const bundle = bundles[name];
    const urls = [ENTRY, ...lazyModules(bundle)].map((file) => pathToFileURL(join(bundle.dir, file)).href);
    const script = `${RUNTIME_GLOBAL}
const [entry, ...later] = JSON.parse(process.argv[2]);
const { handler } = await import(entry);
for (const url of later) await import(url);
process.stdout.write(typeof handler + ' ' + later.length);`;
    expect(await runNode(script, [JSON.stringify(urls)])).toBe(`function ${urls.length - 1}`);
  });
});

describe('each function', () => {
  it('gets an asset of its own', () => {
    expect(bundles.api.assetHash).not.toBe(bundles.stream.assetHash);
  });
});

describe('the image code in each bundle', () => {
  const hasSource = (name: Name, file: string) => maps(bundles[name]).some((map) => map.sources.some((source) => source.endsWith(file)));

  it('the stream only reads images, so it carries the S3 reader without the store and its presigners', () => {
    expect(hasSource('api', 'lambdas/core/images/s3-image-store.ts')).toBe(true);
    expect(hasSource('stream', 'lambdas/core/images/s3-image-store.ts')).toBe(false);
    expect(hasSource('stream', 'lambdas/core/images/s3-image-reader.ts')).toBe(true);
  });
});

describe('the stream handler, run from the split bundle by plain node', () => {
  let h: ChatStreamHarness;

  beforeAll(async () => {
    h = await setUpChatStream();
  });

  afterAll(() => h.modelServer.close());

  /** Invokes the bundled handler once, as the Lambda runtime would, and prints what it streamed. */
  const INVOKE = `${RUNTIME_GLOBAL}
import { Writable } from 'node:stream';
const [entry, event] = process.argv.slice(2);
const { handler } = await import(entry);
let body = '';
const stream = new Writable({ write(chunk, _encoding, done) { body += chunk; done(); } });
stream.setPrelude = (prelude) => { stream.prelude = prelude; };
const deadline = Date.now() + 60_000;
await handler(JSON.parse(event), stream, { awsRequestId: 'bundle-test', functionName: 'chat-stream', getRemainingTimeInMillis: () => deadline - Date.now() });
await new Promise((resolve) => process.stdout.write('\\n' + JSON.stringify({ prelude: stream.prelude, body }), resolve));
process.exit(0);`;

  it('streams a reply through the openai chunk, which it loads from disk on first use', async () => {
    const model = await h.addModel();
    const event = httpApiEvent({
      method: 'POST',
      path: '/',
      authorization: await bearer(CHAT_USER(61)),
      body: { modelId: model.modelId, message: 'Hello from the bundle [[interval=0]]' },
    });
    const requestsBefore = h.modelServer.stats.requests.length;
    // The process environment holds the test tables, the local cipher key and the model host allowlist.
    const stdout = await runNode(INVOKE, [pathToFileURL(join(bundles.stream.dir, ENTRY)).href, JSON.stringify(event)], process.env);
    const { prelude, body } = JSON.parse(stdout.slice(stdout.lastIndexOf('\n') + 1)) as { prelude: { statusCode: number }; body: string };

    expect(prelude.statusCode).toBe(200);
    const lines = body
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; content?: string });
    expect(lines.map((line) => line.type).at(-1)).toBe('metrics');
    expect(
      lines
        .filter((line) => line.type === 'content')
        .map((line) => line.content)
        .join(''),
    ).toBe('This is the offline test server, not a real model. You said: Hello from the bundle');
    // The entry holds no openai code (checked above), so the reply came through the chunk.
    expect(h.modelServer.stats.requests.length).toBe(requestsBefore + 1);
  });
});
