import OpenAI from 'openai';
import { APIError } from 'openai/core/error';
import { Stream } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_CHARS, readEventStream } from '../../../../lambdas/core/llm/event-stream.ts';
import { ReplyTooLongError } from '../../../../lambdas/core/llm/reply-limit.ts';

/** A consumer that always keeps up. */
const EAGER = { demand: () => undefined };

/** A streamed body whose bytes arrive cut at the given sizes, cycling through them. */
const responseOf = (text: string, cuts: number[] = [text.length]) => {
  const bytes = new TextEncoder().encode(text);
  const reads: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, cuts[i % cuts.length]!);
    reads.push(bytes.slice(at, at + size));
    at += size;
  }
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = reads.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
};

/** What our reader makes of a body: the payloads, then how it ended. */
const ours = async (text: string, cuts?: number[]) => {
  const items: unknown[] = [];
  try {
    await readEventStream(responseOf(text, cuts), new AbortController().signal, EAGER, (data) => items.push(data));
    return { items, end: 'done' };
  } catch (err) {
    return { items, end: err instanceof APIError ? `APIError ${JSON.stringify(err.error)}` : (err as Error).constructor.name };
  }
};

/** Only its logger is used: without a client the Stream logs malformed JSON to the console. */
const QUIET_CLIENT = new OpenAI({ apiKey: 'unused', logLevel: 'off' });

/** The same through the `openai` client's own Stream: the behaviour ours must keep. */
const theirs = async (text: string, cuts?: number[]) => {
  const items: unknown[] = [];
  try {
    for await (const item of Stream.fromSSEResponse(responseOf(text, cuts), new AbortController(), QUIET_CLIENT)) items.push(item);
    return { items, end: 'done' };
  } catch (err) {
    return { items, end: err instanceof APIError ? `APIError ${JSON.stringify(err.error)}` : (err as Error).constructor.name };
  }
};

const BODIES: Record<string, string> = {
  'chat chunks, [DONE], then more that is ignored': 'data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\ndata: {"a":3}\n\n',
  'CRLF line ends': 'data: {"a":1}\r\n\r\ndata: {"b":"x"}\r\n\r\n',
  'CR line ends': 'data: {"a":1}\r\rdata: {"a":2}\r\r',
  'comments, id and retry between events': ': keep-alive\n\nid: 7\nretry: 100\ndata: {"a":1}\n\n:\n\n',
  'data split over lines, no space after the colon': 'data:{"a":\ndata: [1,\ndata:2]}\n\n',
  'named events (the Responses API)': 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi"}\n\n',
  'an error event': 'data: {"a":1}\n\nevent: error\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n',
  'an error member in a chunk': 'data: {"a":1}\n\ndata: {"error":{"message":"quota","code":"insufficient_quota"}}\n\n',
  'malformed JSON': 'data: {"a":1}\n\ndata: {"a":\n\n',
  'an event cut off by the end': 'data: {"a":1}\n\ndata: {"a":2}',
  'no events at all': '',
  'multi-byte text': 'data: {"t":"你好，世界 😀 ü"}\n\ndata: {"t":"é"}\n\n',
  'empty data line': 'data:\n\n',
};

describe('readEventStream', () => {
  for (const [name, body] of Object.entries(BODIES)) {
    it(`reads "${name}" as the openai client's Stream does, however the bytes are cut`, async () => {
      const expected = await theirs(body);
      expect(await ours(body)).toEqual(expected);
      for (const cuts of [[1], [2, 3], [5, 1, 7], [64]]) expect(await ours(body, cuts), `cut at ${cuts.join(',')}`).toEqual(expected);
    });
  }

  it('an event cut off inside a CRLF pair still ends as one event', async () => {
    expect(await ours('data: {"a":1}\r')).toEqual({ items: [{ a: 1 }], end: 'done' });
    expect(await ours('data: {"a":\r\ndata: 1}\r', [1])).toEqual({ items: [{ a: 1 }], end: 'done' });
  });

  it('stops an endless line at its bound with ReplyTooLongError, reading no further', async () => {
    const piece = new TextEncoder().encode('x'.repeat(64 * 1024));
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new TextEncoder().encode('data: {"a":1}\n\ndata: "'));
      },
      pull(stream) {
        pulled += piece.length;
        stream.enqueue(piece);
      },
    });
    const items: unknown[] = [];
    const read = readEventStream(new Response(body), new AbortController().signal, EAGER, (data) => items.push(data));
    await expect(read).rejects.toBeInstanceOf(ReplyTooLongError);
    expect(items).toEqual([{ a: 1 }]);
    // Stopped within a read or two of the bound (the body's queue holds one more).
    expect(pulled).toBeGreaterThan(MAX_EVENT_CHARS - piece.length);
    expect(pulled).toBeLessThanOrEqual(MAX_EVENT_CHARS + 3 * piece.length);
  });

  it('reads no further while the consumer is behind, and goes on when it catches up', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(stream) {
          pulls += 1;
          if (pulls > 3) return stream.close();
          stream.enqueue(new TextEncoder().encode(`data: {"n":${pulls}}\n\n`));
        },
      },
      { highWaterMark: 0 },
    );
    let release!: () => void;
    const caughtUp = new Promise<void>((resolve) => (release = resolve));
    let behind = true;
    const consumer = { demand: () => (behind ? caughtUp : undefined) };
    const items: unknown[] = [];
    const read = readEventStream(new Response(body), new AbortController().signal, consumer, (data) => items.push(data));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(items).toEqual([{ n: 1 }]);
    expect(pulls).toBe(1);
    behind = false;
    release();
    await read;
    expect(items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('an abort ends the wait for a consumer that never catches up', async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        stream.enqueue(new TextEncoder().encode('data: {"a":1}\n\n'));
      },
    });
    const never = new Promise<void>(() => {});
    const items: unknown[] = [];
    const read = readEventStream(new Response(body), controller.signal, { demand: () => never }, (data) => items.push(data));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(read).resolves.toBeUndefined();
    expect(items).toEqual([{ a: 1 }]);
  });

  it('returns quietly when the call is aborted mid-stream', async () => {
    const controller = new AbortController();
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        if (pulls++ === 0) return stream.enqueue(new TextEncoder().encode('data: {"a":1}\n\n'));
        controller.abort();
        stream.error(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      },
    });
    const items: unknown[] = [];
    await expect(readEventStream(new Response(body), controller.signal, EAGER, (data) => items.push(data))).resolves.toBeUndefined();
    expect(items).toEqual([{ a: 1 }]);
  });

  it('lets the connection go when it stops before the end of the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        stream.enqueue(new TextEncoder().encode('data: [DONE]\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    await readEventStream(new Response(body), new AbortController().signal, EAGER, () => {});
    expect(cancelled).toBe(true);
  });
});
