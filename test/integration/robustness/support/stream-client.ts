export type StreamLine = Record<string, any> & { type: string };

export interface StreamCall {
  /** The JSON envelope when the function refused before streaming. */
  envelope?: Record<string, any>;
  lines: StreamLine[];
  /** The client stopped reading on purpose (`abort`). */
  aborted: boolean;
}

/**
 * Calls the chat stream over HTTP as the page does and reads its NDJSON lines as they
 * arrive; `onLine` sees each one (to cancel, or to abort the call through `signal`).
 */
export const callStream = async (
  url: string,
  authorization: string,
  body: unknown,
  onLine: (line: StreamLine, lines: StreamLine[]) => void = () => {},
  signal?: AbortSignal,
): Promise<StreamCall> => {
  const lines: StreamLine[] = [];
  try {
    const res = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    if (!res.headers.get('content-type')?.startsWith('text/event-stream'))
      return { envelope: (await res.json()) as Record<string, any>, lines, aborted: false };
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    let pending = '';
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      pending += decoder.decode(read.value, { stream: true });
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const line = JSON.parse(pending.slice(0, end)) as StreamLine;
        pending = pending.slice(end + 1);
        lines.push(line);
        onLine(line, lines);
      }
    }
    return { lines, aborted: false };
  } catch (err) {
    if (signal?.aborted) return { lines, aborted: true };
    throw err;
  }
};
