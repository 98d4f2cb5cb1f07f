import { describe, expect, it } from 'vitest';
import { readNdjson } from '../../../web/src/stream.ts';
import type { StreamEvent } from '../../../web/src/types.ts';

const streamOf = (chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });

const collect = async (chunks: Uint8Array[]) => {
  const events: StreamEvent[] = [];
  for await (const event of readNdjson(streamOf(chunks))) events.push(event);
  return events;
};

const LINES = [
  { session_id: 's-1', type: 'meta' },
  { run_id: 'r-1', type: 'run_info' },
  { content: '想一想', type: 'reasoning' },
  { content: 'Hello 世界', type: 'content' },
  { metrics: { inputTokens: 3, outputTokens: 2 }, type: 'metrics' },
];

describe('readNdjson', () => {
  it('yields each line once, whatever the chunk boundaries (mid-line, mid-character)', async () => {
    const bytes = new TextEncoder().encode(LINES.map((l) => `${JSON.stringify(l)}\n`).join(''));
    for (const size of [1, 2, 7, 64, bytes.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
      expect(await collect(chunks)).toEqual(LINES);
    }
  });

  it('reads a last line without its newline, skips blank lines and unknown types', async () => {
    const text = `\n${JSON.stringify({ type: 'future', x: 1 })}\n\n${JSON.stringify({ error: 'boom', type: 'error' })}`;
    expect(await collect([new TextEncoder().encode(text)])).toEqual([{ error: 'boom', type: 'error' }]);
  });

  it('turns a line that is not JSON into an error event', async () => {
    expect(await collect([new TextEncoder().encode('not json\n')])).toEqual([{ type: 'error', error: '收到无法解析的流数据' }]);
  });
});
