import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../lambdas/core/runtime.ts';
import { createTestRuntime } from '../../support/test-runtime.ts';

/**
 * Whatever the service stores comes back equal through our own DynamoDB client: the
 * marshalling (lib-dynamodb's rules) and the wire (blobs as base64, numbers as text,
 * nested maps and lists, any Unicode) round-trip through DynamoDB Local.
 */
let runtime: Runtime;
beforeAll(async () => {
  runtime = await createTestRuntime();
});

const leaf = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => !/[\uD800-\uDFFF]/.test(s)),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.integer(),
  // Decimals as the service stores them (temperatures, seconds); DynamoDB refuses magnitudes under 1e-130.
  fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
);
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('any'), { maxLength: 4 }),
  map: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !/[\uD800-\uDFFF]/.test(k)),
    tie('any'),
    { maxKeys: 4 },
  ),
})).map;

describe('our DynamoDB client round trip', () => {
  it('gets back every item it put, attribute for attribute', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(value, async (attributes) => {
        const key = { pk: `PROP#${n++}`, sk: 'ITEM' };
        await runtime.db.put({ TableName: runtime.tables.sessions, Item: { ...attributes, ...key } });
        const { Item } = await runtime.db.get({ TableName: runtime.tables.sessions, Key: key, ConsistentRead: true });
        expect(Item).toEqual({ ...attributes, ...key });
      }),
      { numRuns: 60 },
    );
  });
});
