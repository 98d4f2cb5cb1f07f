import { expect } from 'vitest';
import { setUpChatStream, type Capture, type ChatStreamHarness } from '../../chat-stream/support.ts';
import { loadApiHandler, type ApiCall } from '../../../support/api-call.ts';
import { directStore, type Store } from './tables.ts';

/** One request to either function: the chat stream (a body) or the REST API (a call). */
export type Target = { handler: 'stream'; body: unknown; authorization: string | undefined; lazyBody?: () => unknown } | { handler: 'rest'; call: ApiCall };

export interface Answer {
  /** HTTP status of the response (the envelope's own code is in `envelope`). */
  status: number | undefined;
  envelope: Record<string, any>;
  /** The stream answered with a stream rather than an envelope. */
  streamed: boolean;
}

export type Api = (call: ApiCall) => Promise<{ status?: number; headers?: Record<string, unknown>; body: string; json: Record<string, any> }>;

export interface BothFunctions {
  /** The stream handler, the offline model and the runtime (see test/integration/chat-stream/support.ts). */
  h: ChatStreamHarness;
  api: Api;
  /** The tables, read directly. */
  store: Store;
}

/** Both real handlers on one fresh set of tables, the environment given added (one per test file). */
export const setUpBothFunctions = async (env: Record<string, string> = {}): Promise<BothFunctions> => {
  const h = await setUpChatStream(env);
  return { h, api: await loadApiHandler({}), store: directStore() };
};

/** The answer, and for the stream what the client read. */
export type Sent = Answer & { capture?: Capture };

/** Sends `target` through the real handler and reads the envelope it answered with. */
export const send = async (h: ChatStreamHarness, api: Api, target: Target): Promise<Sent> => {
  if (target.handler === 'rest') {
    const out = await api(target.call);
    return { status: out.status, envelope: out.json, streamed: false };
  }
  const capture = await h.send(target.lazyBody ? target.lazyBody() : target.body, { authorization: target.authorization });
  return {
    status: capture.prelude?.statusCode,
    envelope: capture.isStream ? {} : capture.envelope,
    streamed: capture.isStream,
    capture,
  };
};

/** A refusal in the contract's envelope: HTTP 200 (404 for an unknown route), `success: false`, the code and message. */
export const expectRefusal = (answer: Answer, code: number, msg: string | RegExp) => {
  expect(answer.streamed, 'answered with an envelope, not a stream').toBe(false);
  expect(answer.status).toBe(code === 404 ? 404 : 200);
  expect(answer.envelope).toMatchObject({ code, success: false });
  if (typeof msg === 'string') expect(answer.envelope.msg).toBe(msg);
  else expect(answer.envelope.msg).toMatch(msg);
};
