import type { Readable } from 'node:stream';
import type { RequestLog } from '../../observability/request-log.ts';
import { CHAT_PERMISSION, requirePermission } from '../../auth/identity.ts';
import { errorEnvelope, type Envelope } from '../../wire/envelope.ts';
import { preloadOpenAi } from '../../llm/client.ts';
import { parseJsonBody } from '../../validation/parse.ts';
import type { ChatDeps } from '../deps.ts';
import { executeRun } from '../execute-run.ts';
import { type PreparedRun, prepareRun } from '../2-check/prepare-run.ts';
import { chatRequestSchema } from './request-schema.ts';
import { RunStream } from '../run-stream.ts';

export interface ChatInput {
  authorization: string | undefined;
  body: string | undefined;
  /** The Lambda's remaining time; the run stops early enough to store itself. */
  remainingTimeMs(): number;
  /** Request-scoped logger: run keys are appended to it, never to a shared one. */
  log: RequestLog;
}

/** Either a refusal before any streaming, or the stream the run writes to and when it is done. */
export type ChatStart = { kind: 'envelope'; envelope: Envelope } | { kind: 'stream'; body: Readable; done: Promise<void> };

let schema: { max: number; schema: ReturnType<typeof chatRequestSchema> } | undefined;
/** The request schema for a message bound, built once (the warm-up parses with it too). */
export const requestSchema = (max: number) => {
  if (schema?.max !== max) schema = { max, schema: chatRequestSchema(max) };
  return schema.schema;
};

/**
 * Starts a chat run: token, permission, body and the pre-stream checks; any refusal is
 * an envelope. Past them the `meta` line is written at once and the rest of the run
 * goes on in the background, writing to the returned body.
 */
export const startChat = async (deps: ChatDeps, input: ChatInput): Promise<ChatStart> => {
  const startedAt = Date.now();
  const { log } = input;
  let plan: PreparedRun;
  try {
    const identity = await deps.runtime.verifyToken(input.authorization);
    log.appendKeys({ userId: identity.userId });
    requirePermission(identity, CHAT_PERMISSION);
    const request = parseJsonBody(requestSchema(deps.runtime.settings.MAX_MESSAGE_LENGTH), input.body);
    // The SDK loads while the reads below are in flight; a failed load shows up at the call.
    preloadOpenAi().catch(() => {});
    plan = await prepareRun(deps, identity, request, log, startedAt);
  } catch (err) {
    return { kind: 'envelope', envelope: errorEnvelope(err, (e) => log.error('chat request failed before streaming', e as Error)) };
  }
  log.appendKeys({ sessionId: plan.sessionId });
  const stream = new RunStream();
  stream.meta(plan.sessionId);
  const done = executeRun(deps, plan, stream, { log, startedAt, remainingTimeMs: input.remainingTimeMs, authorization: input.authorization });
  return { kind: 'stream', body: stream.body, done };
};
