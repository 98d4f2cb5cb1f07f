import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../../lib/bundling/function-bundle.ts';
import { ENTRY_FILE } from '../../../lib/bundling/bundle-graph.ts';

const work = mkdtempSync(join(tmpdir(), 'mapped-stacks-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A function that throws two calls deep, bundled and minified as the deployed ones are. */
const SOURCE = `function innermost(depth: number): never {
  throw new Error('boom at ' + depth);
}

function outerCaller(): void {
  innermost(2);
}

try {
  outerCaller();
} catch (err) {
  console.log((err as Error).stack);
}
`;

describe('stack traces of a bundled function', () => {
  it('point at the TypeScript source, with the original names, without NODE_OPTIONS', async () => {
    const entry = join(work, 'thrower.ts');
    writeFileSync(entry, SOURCE);
    const out = join(work, 'bundle');
    bundleFunction(entry, out);
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, ENTRY_FILE)], { env: { PATH: process.env.PATH } });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('Error: boom at 2');
    expect(lines[1]).toMatch(/^ {4}at innermost \(.*thrower\.ts:2:9\)$/);
    expect(lines[2]).toMatch(/^ {4}at outerCaller \(.*thrower\.ts:6:3\)$/);
    expect(lines[3]).toMatch(/thrower\.ts:10:3\)?$/);
  });
});
