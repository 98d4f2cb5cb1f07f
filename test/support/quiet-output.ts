import { afterAll, beforeEach, type RunnerTask } from 'vitest';

/**
 * What a test file's process writes to stdout and stderr, shown only for a failing test.
 * The handlers' JSON log lines go there directly: Powertools' logger writes through a
 * Console of its own on process.stdout and process.stderr, which vitest does not
 * intercept (its `silent: 'passed-only'` covers only the global console). So the
 * writes are held here, written out when a test fails (with what its hooks wrote since
 * the test before it finished) and dropped when it passes; at the file's end, what is
 * left is written out only if something in the file failed. Tests that read the logs
 * replace or spy on `write` themselves and still see every line.
 */
type Write = (chunk: string | Uint8Array) => boolean;
const streams = [process.stdout, process.stderr];
const originals = streams.map((stream) => stream.write);
const held: { write: Write; chunk: string | Uint8Array }[] = [];

for (const stream of streams) {
  const write = stream.write.bind(stream) as Write;
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    held.push({ write, chunk });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  }) as NodeJS.WriteStream['write'];
}

const settle = (failed: boolean) => {
  const lines = held.splice(0);
  if (failed) for (const { write, chunk } of lines) write(chunk);
};

const failedIn = (task: RunnerTask): boolean => task.result?.state === 'fail' || ('tasks' in task && task.tasks.some(failedIn));

beforeEach(({ onTestFinished }) => {
  onTestFinished(({ task }) => settle(task.result?.state === 'fail'));
});

// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's first argument as its fixtures, which must be a pattern
afterAll(({}, file) => {
  settle(failedIn(file));
  streams.forEach((stream, i) => {
    stream.write = originals[i]!;
  });
});
