import { ApiError, authHeaders, readEnvelope } from './api.ts';
import { streamUrl, type Connection } from './connection.ts';
import type { StreamEvent, StreamRequest } from './types.ts';

/** The line types the page handles: the schema's, all of them, or this does not compile. */
const EVENT_TYPES: Record<StreamEvent['type'], true> = { meta: true, run_info: true, reasoning: true, content: true, metrics: true, error: true, notice: true };

const parseLine = (line: string): StreamEvent | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { type: 'error', error: '收到无法解析的流数据' };
  }
  const type = (value as { type?: unknown } | null)?.type;
  // A line type this page does not know is skipped, so the server can add some.
  return typeof type === 'string' && Object.hasOwn(EVENT_TYPES, type) ? (value as StreamEvent) : undefined;
};

/** The stream body, one JSON object per `\n`-ended line; a chunk may end mid-line. */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        const event = line ? parseLine(line) : undefined;
        if (event) yield event;
      }
    }
    pending += decoder.decode();
    const rest = pending.trim() ? parseLine(pending.trim()) : undefined;
    if (rest) yield rest;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Starts a chat run. Errors found before streaming come back as the JSON envelope and
 * are thrown as ApiError; otherwise the lines are yielded as they arrive.
 */
export const openChatStream = async (connection: Connection, request: StreamRequest, signal: AbortSignal): Promise<AsyncGenerator<StreamEvent>> => {
  const res = await fetch(streamUrl(connection), {
    method: 'POST',
    headers: { ...authHeaders(connection), 'content-type': 'application/json' },
    body: JSON.stringify({ ...request, stream: true }),
    signal,
  });
  if ((res.headers.get('content-type') ?? '').includes('application/json')) {
    await readEnvelope<unknown>(res);
    throw new ApiError(res.status, '服务没有返回对话流');
  }
  if (!res.ok || !res.body) throw new ApiError(res.status, `对话请求失败 (HTTP ${res.status})`);
  return readNdjson(res.body);
};
