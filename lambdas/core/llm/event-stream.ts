import { APIError } from 'openai/core/error';

/**
 * An incremental parser of `text/event-stream` (the HTML standard's rules): text goes in
 * as it arrives, each complete event comes out as its type and its data lines joined by
 * `\n`. Lines may end in LF, CRLF or CR; comments and `id`/`retry` fields are skipped. An
 * event cut off by the end of the stream is still handed out, as the `openai` client does
 * (the standard would drop it): a provider's last chunk carries the token usage.
 */
export const createEventParser = (onEvent: (event: string | undefined, data: string) => void) => {
  let rest = '';
  let event: string | undefined;
  let data: string[] = [];

  const line = (text: string) => {
    if (!text) {
      if (event !== undefined || data.length) onEvent(event, data.join('\n'));
      event = undefined;
      data = [];
      return;
    }
    const colon = text.indexOf(':');
    if (colon === 0) return;
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.charCodeAt(colon + 1) === 32 ? text.slice(colon + 2) : text.slice(colon + 1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  };

  return {
    push(chunk: string): void {
      let text = rest + chunk;
      // A CR at the very end may be the first half of a CRLF split across two reads.
      const held = text.endsWith('\r') ? '\r' : '';
      if (held) text = text.slice(0, -1);
      if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        line(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start) + held;
    },
    /** The stream ended: a last line without its line break, and a last event without its blank line, still count. */
    end(): void {
      if (rest) this.push('\n');
      rest = '';
      line('');
    },
  };
};

/** The longest stretch of parsing before other I/O of the process (the run's DynamoDB answers) gets a turn. */
const SLICE_MS = 1;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads a provider's streamed reply as the `openai` client's Stream does (`[DONE]` ends
 * it; each data is JSON, or a SyntaxError; an `error` event or an `error` member is the
 * provider's failure, an APIError), handing each payload to `onData`. Returns when the
 * stream ends or `signal` aborts it. The client's Stream spends several microseconds
 * per event on async iterators and promise races, on the thread that also has to take
 * the run's DynamoDB answers: a fast provider's burst kept those waiting until the
 * whole burst was parsed. Here a read's events are parsed in one pass, and the parse
 * gives other I/O a turn every millisecond.
 */
export const readEventStream = async <T>(response: Response, signal: AbortSignal, onData: (data: T) => void): Promise<void> => {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  const parser = createEventParser((event, text) => {
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
  });
  let closed = false;
  let sliceStart = performance.now();
  try {
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) {
        closed = true;
        parser.push(decoder.decode());
        parser.end();
        break;
      }
      parser.push(decoder.decode(value, { stream: true }));
      if (performance.now() - sliceStart >= SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  } finally {
    // Stopped before the body's end ([DONE], a failure): the connection is let go, as the client's Stream does.
    if (!closed) reader.cancel().catch(() => {});
  }
};
