import { describe, expect, it } from 'vitest';
import { SqsQueue } from '../../../local/sqs-queue.ts';

/** A clock the test moves. */
const clock = () => {
  const state = { at: 1_000_000 };
  return { state, now: () => state.at };
};

describe('the local SQS queue, as the SQS Developer Guide describes a standard queue', () => {
  it('hides a received message for the visibility timeout, then delivers it again with a new receipt and a higher count', async () => {
    const { state, now } = clock();
    const queue = new SqsQueue({ name: 'q', visibilityTimeoutMs: 30_000, now });
    const id = queue.send('hello');
    const [first] = await queue.receive(10);
    expect(first).toMatchObject({ messageId: id, body: 'hello', attributes: { ApproximateReceiveCount: '1' } });
    expect(await queue.receive(10)).toEqual([]);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 1 });
    state.at += 30_000;
    const [again] = await queue.receive(10);
    expect(again).toMatchObject({ messageId: id, attributes: { ApproximateReceiveCount: '2' } });
    expect(again!.receiptHandle).not.toBe(first!.receiptHandle);
  });

  it('deletes only with the latest receipt handle: an older one succeeds and deletes nothing', async () => {
    const { state, now } = clock();
    const queue = new SqsQueue({ name: 'q', visibilityTimeoutMs: 1_000, now });
    queue.send('m');
    const [first] = await queue.receive();
    state.at += 1_000;
    const [second] = await queue.receive();
    queue.delete(first!.receiptHandle);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 1 });
    queue.delete(second!.receiptHandle);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue at its next receive', async () => {
    const { state, now } = clock();
    const deadLetterQueue = new SqsQueue({ name: 'dlq', visibilityTimeoutMs: 1_000, now });
    const queue = new SqsQueue({ name: 'q', visibilityTimeoutMs: 1_000, now, redrive: { deadLetterQueue, maxReceiveCount: 3 } });
    queue.send('poison');
    for (let n = 1; n <= 3; n++) {
      expect((await queue.receive())[0]!.attributes.ApproximateReceiveCount).toBe(String(n));
      state.at += 1_000;
    }
    expect(await queue.receive()).toEqual([]);
    expect(deadLetterQueue.bodies()).toEqual(['poison']);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('lets a new visibility timeout run from now, and delivers at least once: sometimes twice', async () => {
    const { now } = clock();
    const queue = new SqsQueue({ name: 'q', visibilityTimeoutMs: 10_000, now, duplicateChance: 0.5, random: () => 0.9 });
    queue.send('m');
    const [got] = await queue.receive();
    queue.changeVisibility(got!.receiptHandle, 0);
    expect(await queue.receive()).toHaveLength(1);
    const twice = new SqsQueue({ name: 'q2', visibilityTimeoutMs: 10_000, now, duplicateChance: 0.5, random: () => 0.1 });
    twice.send('m');
    expect(await twice.receive()).toHaveLength(1);
    expect(await twice.receive()).toHaveLength(1);
  });

  it('drops a message past the retention period, and long-polls for one to arrive', async () => {
    const { state, now } = clock();
    const queue = new SqsQueue({ name: 'q', visibilityTimeoutMs: 1_000, retentionMs: 60_000, now });
    queue.send('old');
    state.at += 60_000;
    expect(await queue.receive()).toEqual([]);
    const live = new SqsQueue({ name: 'live', visibilityTimeoutMs: 1_000 });
    setTimeout(() => live.send('late'), 50);
    expect((await live.receive(1, 2_000)).map((m) => m.body)).toEqual(['late']);
  });

  it('hands out at most ten messages a receive', async () => {
    const queue = new SqsQueue({ name: 'q', visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 15; i++) queue.send(String(i));
    expect(await queue.receive(50)).toHaveLength(10);
    expect(await queue.receive(50)).toHaveLength(5);
  });
});
