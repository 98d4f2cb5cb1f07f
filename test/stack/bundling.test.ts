import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Before any bundle loads: the bundled Powertools creates an `awslambda` global of its own.
import '../../local/lambda-stream-shim.ts';
import { logicalIdOf, synth } from './synth.ts';

/**
 * Bundles both functions for real, with the local esbuild, and checks what would be
 * uploaded. Ceilings in bytes of minified JavaScript, source map excluded: the AWS
 * SDK clients are part of each bundle (see lib/service-function.ts for why).
 */
const KB = 1024;
const CEILING = { api: 1250 * KB, stream: 1700 * KB };

interface Bundle {
  dir: string;
  code: string;
  map: { version: number; sources: string[]; sourcesContent?: unknown[]; mappings: string };
  codeBytes: number;
  mapBytes: number;
}

const bundles = {} as Record<'api' | 'stream', Bundle>;
let dispose = () => {};

beforeAll(() => {
  const synthesized = synth({}, { bundle: true });
  const { assembly, template } = synthesized;
  dispose = synthesized.dispose;
  for (const [name, prefix] of [
    ['api', 'ApiHandler'],
    ['stream', 'ChatStreamHandler'],
  ] as const) {
    const fn = template.toJSON().Resources[logicalIdOf(template, 'AWS::Lambda::Function', prefix)];
    const assetHash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const dir = join(assembly.directory, `asset.${assetHash}`);
    const codePath = join(dir, 'index.mjs');
    const mapPath = join(dir, 'index.mjs.map');
    bundles[name] = {
      dir,
      code: readFileSync(codePath, 'utf8'),
      map: JSON.parse(readFileSync(mapPath, 'utf8')) as Bundle['map'],
      codeBytes: statSync(codePath).size,
      mapBytes: statSync(mapPath).size,
    };
  }
}, 180_000);

afterAll(() => dispose());

describe.each(['api', 'stream'] as const)('the %s bundle', (name) => {
  it('ships one ESM file and its source map, nothing else', () => {
    expect(readdirSync(bundles[name].dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
  });

  it('stays under its size ceiling', () => {
    expect(bundles[name].codeBytes).toBeLessThanOrEqual(CEILING[name]);
  });

  it('opens with the createRequire banner, for the CommonJS packages inside', () => {
    expect(bundles[name].code.startsWith('import { createRequire as __createRequire } from')).toBe(true);
  });

  it('links a lean source map: only our TypeScript sources, without their text', () => {
    const { code, map, mapBytes, codeBytes } = bundles[name];
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    expect(map.version).toBe(3);
    expect(map.sources.length).toBeGreaterThan(0);
    expect(map.sources.filter((source) => !/(^|\/)lambdas\/.+\.ts$/.test(source))).toEqual([]);
    expect(map.sources.some((source) => source.includes(`lambdas/${name === 'api' ? 'api' : 'chat-stream'}/handler.ts`))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    expect(mapBytes).toBeLessThan(codeBytes / 10);
  });
});

describe('the image code in each bundle', () => {
  const storeSource = (name: 'api' | 'stream') => bundles[name].map.sources.some((source) => source.endsWith('lambdas/core/images/s3-image-store.ts'));

  it('the stream only reads images, so it carries the S3 reader without the store and its presigners', () => {
    expect(storeSource('api')).toBe(true);
    expect(storeSource('stream')).toBe(false);
    expect(bundles.stream.map.sources.some((source) => source.endsWith('lambdas/core/images/s3-image-reader.ts'))).toBe(true);
  });
});

describe('the bundles load', () => {
  it('api: exports the handler', async () => {
    const mod = (await import(pathToFileURL(join(bundles.api.dir, 'index.mjs')).href)) as { handler?: unknown };
    expect(typeof mod.handler).toBe('function');
  });

  it('stream: exports the handler once the streaming runtime is present', async () => {
    const mod = (await import(pathToFileURL(join(bundles.stream.dir, 'index.mjs')).href)) as { handler?: unknown };
    expect(typeof mod.handler).toBe('function');
  });
});
