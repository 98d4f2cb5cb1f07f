import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RunStream } from '../../../../lambdas/core/chat/run-stream.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('RunStream.demand', () => {
  it('asks the run to wait once the client stops taking lines, and lets it go on when the client reads again', async () => {
    const stream = new RunStream();
    const held: (() => void)[] = [];
    let received = 0;
    const client = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        held.push(callback);
      },
    });
    stream.body.pipe(client);
    const line = 'x'.repeat(1000);
    let waited: Promise<void> | undefined;
    let sent = 0;
    while (!waited && sent < 1000) {
      stream.content(line);
      sent += 1;
      waited = stream.demand();
      if (!waited) await turn();
    }
    expect(waited).toBeInstanceOf(Promise);
    // Stopped after about its high-water mark: the lines did not pile up.
    expect(sent).toBeLessThan(100);
    let resumed = false;
    void waited!.then(() => (resumed = true));
    for (let i = 0; i < 5; i++) await turn();
    expect(resumed).toBe(false);
    while (!resumed) {
      for (const callback of held.splice(0)) callback();
      await turn();
    }
    expect(received).toBeGreaterThan(0);
  });

  it('never asks a run to wait for a client that is gone', async () => {
    const stream = new RunStream();
    stream.content('x'.repeat(100_000));
    const waiting = stream.demand();
    expect(waiting).toBeInstanceOf(Promise);
    stream.body.destroy();
    await waiting;
    expect(stream.demand()).toBeUndefined();
  });
});
