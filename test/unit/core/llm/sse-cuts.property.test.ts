import fc from 'fast-check';
import OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { readEventStream } from '../../../../lambdas/core/llm/event-stream.ts';

/** A body whose bytes arrive in reads of the given sizes, cycling through them. */
const responseOf = (bytes: Uint8Array, cuts: number[]) => {
  const reads: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = cuts[i % cuts.length]!;
    reads.push(bytes.slice(at, at + size));
    at += size;
  }
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = reads.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    }),
  );
};

const settle = async (read: (onItem: (item: unknown) => void) => Promise<void>) => {
  const items: unknown[] = [];
  try {
    await read((item) => items.push(item));
    return { items, end: 'done' };
  } catch (err) {
    return { items, end: (err as Error).constructor.name };
  }
};

const QUIET_CLIENT = new OpenAI({ apiKey: 'unused', logLevel: 'off' });

const ours = (bytes: Uint8Array, cuts: number[]) =>
  settle((onItem) => readEventStream(responseOf(bytes, cuts), new AbortController().signal, { demand: () => undefined }, onItem));

const theirs = (bytes: Uint8Array) =>
  settle(async (onItem) => {
    for await (const item of Stream.fromSSEResponse(responseOf(bytes, [bytes.length || 1]), new AbortController(), QUIET_CLIENT)) onItem(item);
  });

const text = fc.string({ unit: fc.constantFrom('a', 'é', '你', '😀', ' ', ':', '"', '\\', '\u2028'), maxLength: 12 });
const lineEnd = fc.constantFrom('\n', '\r\n', '\r');

/** One SSE block: a JSON chunk (maybe named, maybe split over data lines), a comment, or noise fields. */
const block = fc.oneof(
  fc.tuple(text, fc.option(fc.constantFrom('message', 'response.output_text.delta')), fc.boolean(), lineEnd).map(([t, name, split, nl]) => {
    const json = JSON.stringify({ t });
    const data = split ? `data: ${json.slice(0, 3)}${nl}data:${json.slice(3)}` : `data: ${json}`;
    return `${name ? `event: ${name}${nl}` : ''}${data}${nl}${nl}`;
  }),
  lineEnd.map((nl) => `: keep-alive${nl}${nl}`),
  lineEnd.map((nl) => `id: 7${nl}retry: 10${nl}${nl}`),
);

describe('readEventStream under random bodies and cuts', () => {
  it('yields what the openai client yields, for any cut of the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(block, { maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        async (blocks, cutOff, cuts) => {
          let body = blocks.join('');
          // Half the time the last event loses its closing blank line, as a dropped connection leaves it.
          if (cutOff && body.length) body = body.replace(/(\r\n|\r|\n)+$/, '');
          const bytes = new TextEncoder().encode(body);
          expect(await ours(bytes, cuts)).toEqual(await theirs(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });
});
