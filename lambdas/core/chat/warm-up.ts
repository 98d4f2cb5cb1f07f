import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { verifyHs256 } from '../auth/jwt.ts';
import { preloadOpenAi } from '../llm/client.ts';
import { streamChatCompletions } from '../llm/chat-completions.ts';
import { parseJsonBody } from '../validation/parse.ts';
import { requestSchema } from './1-accept/start-chat.ts';
import { PLACEHOLDER_API_KEY } from './2-check/key-cache.ts';
import { createReplySink } from './4-start-call/reply-sink.ts';
import type { ChatDeps } from './deps.ts';
import { RunStream } from './run-stream.ts';
import { createRunStop } from './stop/run-stop.ts';

/** Requests the first chat's checks send together (rate limit, model and config, session, history): one connection each. */
const DB_CONNECTIONS = 4;
/** Model ids start at 1: a read of this one finds nothing. */
const NO_MODEL = 0;
/** Longer than this and the first chat may as well do it itself. */
const WARM_UP_MS = 2_000;

/** A token of the right shape whose signature no secret makes. */
const FAKE_TOKEN = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"user_id":0}').toString('base64url')}.c2lnbmF0dXJl`;

/** A provider's streamed reply as OpenAI sends it: text, the finish, the usage. */
const CANNED_REPLY = `${[
  { choices: [{ index: 0, delta: { role: 'assistant', content: 'Warm' }, finish_reason: null }] },
  { choices: [{ index: 0, delta: { content: ' up.' }, finish_reason: 'stop' }] },
  { choices: [], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } },
]
  .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
  .join('')}data: [DONE]\n\n`;

/**
 * The token check, the body's parse, and a model call through the `openai` client and
 * the stream reader into a run's reply sink and its stream, on made-up inputs: the
 * client's fetch answers the canned reply itself, and the stream's lines are piped
 * nowhere.
 */
const primeHotPaths = async (deps: ChatDeps): Promise<void> => {
  try {
    verifyHs256(randomUUID())(FAKE_TOKEN);
  } catch {
    // Refused, as meant: the check ran.
  }
  parseJsonBody(requestSchema(deps.runtime.settings.MAX_MESSAGE_LENGTH), JSON.stringify({ modelId: 1, message: 'Warm up.', sessionId: randomUUID() }));
  const { OpenAI } = await preloadOpenAi();
  const fetch = async () => new Response(CANNED_REPLY, { headers: { 'content-type': 'text/event-stream' } });
  const client = new OpenAI({ apiKey: PLACEHOLDER_API_KEY, baseURL: 'http://warm-up.invalid/v1', fetch, maxRetries: 0, logLevel: 'off' });
  const stream = new RunStream();
  // Piped as middy pipes a reply into Lambda's response stream: node loads pipeline's code on its first call, some 5 ms.
  const piped = pipeline(stream.body, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const stop = createRunStop(stream);
  const sink = createReplySink({ deps, progress: { content: [], reasoning: [] }, stream, stop }, false);
  stream.meta(randomUUID());
  const request = { model: 'warm-up', messages: [{ role: 'user' as const, text: 'Warm up.' }], reasoning: false };
  await streamChatCompletions(client, request, { maxTokensParam: 'max_completion_tokens', includeUsage: true }, Promise.resolve(true), sink, stop.signal);
  stream.end();
  await piped;
};

/** `work`, or nothing once the warm-up's time is up: the rest finishes (or fails) unwaited. */
const withinWarmUp = (work: Promise<unknown>) => Promise.race([work, new Promise<void>((resolve) => setTimeout(resolve, WARM_UP_MS).unref())]);

/**
 * The first chat's own work, done before it comes: Lambda runs INIT with a full vCPU,
 * the first invocation at the function's share (29% of one at 512 MB). The `openai`
 * chunk is loaded, the KMS client built, the quotas read into the instance's copy (the
 * first chat's check would wait for that read), DynamoDB's connections opened with reads
 * that find nothing (signing, the wire and parsing run once on the way), and the
 * request's hot code run once on made-up inputs. Nothing is written, no provider is
 * contacted and nothing is logged; whatever fails here is left for the first chat, which
 * reports it.
 */
export const warmUp = async (deps: ChatDeps): Promise<void> => {
  const { runtime } = deps;
  const db = runtime.db.until(Date.now() + WARM_UP_MS);
  await Promise.allSettled([
    primeHotPaths(deps),
    runtime.cipher.warm?.(),
    withinWarmUp(deps.quotas.current()),
    ...Array.from({ length: DB_CONNECTIONS }, () => db.get({ TableName: runtime.tables.models, Key: { modelId: NO_MODEL } })),
  ]);
};
