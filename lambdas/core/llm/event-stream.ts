import { createParser } from 'eventsource-parser';
import { APIError } from 'openai/core/error';
import { ReplyTooLongError } from './reply-limit.ts';

/**
 * The most text one event may hold, its unfinished line included, in UTF-16 units. Far
 * above any provider's chunk (a whole reply at the largest bound fits, even JSON-escaped);
 * a provider that sends an endless line without a line break is stopped here.
 */
export const MAX_EVENT_CHARS = 8 * 1024 * 1024;

/** The longest stretch of parsing before other I/O of the process (the run's DynamoDB answers) gets a turn. */
const SLICE_MS = 1;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whoever takes the payloads: how fast they are read from the provider. */
export interface ReadDemand {
  /** Resolves once the consumer takes more; undefined while it keeps up. */
  demand(): Promise<void> | undefined;
}

/** Waits for `wait`, or for `signal` to abort, whichever comes first, leaving no listener behind. */
const waitUnlessAborted = (wait: Promise<void>, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void wait.then(done, done);
  });

/**
 * Reads a provider's streamed reply as the `openai` client's Stream does (`[DONE]` ends
 * it; each data is JSON, or a SyntaxError; an `error` event or an `error` member is the
 * provider's failure, an APIError), handing each payload to `onData`. Returns when the
 * stream ends or `signal` aborts it. The client's Stream spends several microseconds
 * per event on async iterators and promise races, on the thread that also has to take
 * the run's DynamoDB answers: a fast provider's burst kept those waiting until the
 * whole burst was parsed. Here a read's events are parsed in one pass, and the parse
 * gives other I/O a turn every millisecond. The next read waits while `consumer` is
 * behind, so an unread reply waits in the provider's socket rather than in memory.
 * An event cut off by the end of the stream is still handed out, as the `openai` client
 * does (the standard would drop it): a provider's last chunk carries the token usage.
 */
export const readEventStream = async <T>(response: Response, signal: AbortSignal, consumer: ReadDemand, onData: (data: T) => void): Promise<void> => {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  const parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onError(error) {
      // Unknown fields and bad `retry` values are skipped, as the client does; only the bound stops the read.
      if (error.type === 'max-buffer-size-exceeded') throw new ReplyTooLongError(`an event exceeded ${MAX_EVENT_CHARS} characters`);
    },
    onEvent({ event, data: text }) {
      if (finished) return;
      if (text === '[DONE]') {
        finished = true;
        return;
      }
      let data: { error?: unknown } | null;
      try {
        data = JSON.parse(text) as { error?: unknown } | null;
      } catch {
        throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
      }
      if (event === 'error') throw new APIError(undefined, (data?.error ?? data) as object | undefined, undefined, response.headers);
      if (data?.error) throw new APIError(undefined, data.error, undefined, response.headers);
      onData(data as T);
    },
  });
  let closed = false;
  let sliceStart = performance.now();
  try {
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) {
        closed = true;
        // A blank line completes an event the stream's end cut off.
        parser.feed(`${decoder.decode()}\n\n`);
        break;
      }
      parser.feed(decoder.decode(value, { stream: true }));
      const behind = consumer.demand();
      if (behind) {
        await waitUnlessAborted(behind, signal);
        if (signal.aborted) return;
        sliceStart = performance.now();
      } else if (performance.now() - sliceStart >= SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  } finally {
    // Stopped before the body's end ([DONE], a failure, an abort): the connection is let go, as the client's Stream does.
    if (!closed) reader.cancel().catch(() => {});
  }
};
