import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamChatCompletions } from '../../../lambdas/core/llm/chat-completions.ts';
import { profileOf } from '../../../lambdas/core/llm/provider-profiles.ts';
import { streamResponses } from '../../../lambdas/core/llm/responses.ts';
import type { TokenUsage, UpstreamSink } from '../../../lambdas/core/llm/types.ts';
import type { UsageSource } from '../../../lambdas/core/llm/usage.ts';
import { describeUpstreamError } from '../../../lambdas/core/llm/upstream-errors.ts';
import type { Provider } from '../../../lambdas/core/models/providers.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { awkwardPieces, startReplayServer, wireBody, withCrlf, type ReplayServer } from './replay-server.ts';
import { captureLogs, setUpChatStream, type Capture, type ChatStreamHarness } from './support.ts';
import { UPSTREAM_MSG, upstreamErrorLine } from '../../../lambdas/core/wire/messages.ts';

/**
 * Recorded provider streams (test/fixtures/providers, sources beside them) replayed byte
 * for byte through the real stream handler: whole, cut at awkward byte boundaries, and
 * with CRLF line ends cut between CR and LF. Each must give the provider's text, reasoning
 * and usage as it meant them, or its failure as its own class, on the lines, in the
 * closing metrics and in the stored run as session detail returns it. The usage is what
 * the provider billed (each SOURCE.md states it), read from where the provider put it.
 */

const USER = 131;
const KEY = 'sk-replay-0123456789abcdefghijklmnop';

let h: ChatStreamHarness;
let replay: ReplayServer;
let api: (call: ApiCall) => Promise<{ json: Record<string, any> }>;
let auth: string;

beforeAll(async () => {
  // Debug level: the log test must see everything a run could log.
  h = await setUpChatStream({ RATE_LIMIT_SENDS_PER_MINUTE: '1000', LOG_LEVEL: 'DEBUG' });
  api = await loadApiHandler({});
  replay = await startReplayServer();
  auth = await bearer(CHAT_USER(USER));
});
afterAll(() => replay.close());

const usage = (inputTokens: number, outputTokens: number, totalTokens: number, reasoningTokens = 0, cacheReadTokens = 0): TokenUsage => ({
  inputTokens,
  outputTokens,
  totalTokens,
  reasoningTokens,
  cacheReadTokens,
});

const NO_USAGE = usage(0, 0, 0);

/** Where the usage was read and how reasoning was counted; with the money stated, where there is any. */
type Read = Pick<UsageSource, 'field' | 'reasoning'> & Partial<Pick<UsageSource, 'cost'>>;

const read = (field: Read['field'], reasoning: Read['reasoning'], cost?: UsageSource['cost']): Read => ({ field, reasoning, ...(cost ? { cost } : {}) });

interface Case {
  file: string;
  provider: Provider;
  content: string;
  reasoning: string;
  /** A completed run's billed usage and where it was read (none: the stream carried no usage), or the failed run's error line. */
  end: { usage: TokenUsage; read?: Read } | { error: string };
}

/** Mistral's answer to `stream_options` (avante.nvim#2347): the request fails before any token. */
const STREAM_OPTIONS_REFUSED = {
  status: 422,
  json: {
    object: 'error',
    message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'stream_options', 'include_usage'], msg: 'Extra inputs are not permitted', input: true }] },
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
};

const QUOTA_REASON = 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read t…';

const CASES: Case[] = [
  {
    file: 'mistral/text.chunks.jsonl',
    provider: 'Mistral',
    content: 'Hello, world! This is a test response.',
    reasoning: '',
    end: { usage: usage(13, 8, 21), read: read('usage', 'none') },
  },
  {
    file: 'mistral/magistral-thinking.chunks.jsonl',
    provider: 'Mistral',
    content: '2 + 2 = 4',
    reasoning: 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.',
    end: { usage: usage(10, 46, 56), read: read('usage', 'none') },
  },
  {
    file: 'xai/grok-3-mini.chunks.jsonl',
    provider: 'xAI',
    content: 'Hello',
    reasoning: 'First, the user said',
    // 290 reasoning tokens beside 1 completion token: output is both, as the total says.
    end: { usage: usage(12, 291, 303, 290, 11), read: read('usage', 'beside', { usd: 0.000146625, field: 'usage.cost_in_usd_ticks' }) },
  },
  {
    file: 'xai/grok-beta-running-usage.sse',
    provider: 'xAI',
    content: 'Coca-Cola is a and many others tailored',
    reasoning: '',
    // grok-beta sent a running total on every chunk: the last one, cut at the token limit.
    end: { usage: usage(38, 200, 238), read: read('usage', 'none') },
  },
  {
    file: 'openai/gpt-4.1-nano.chunks.jsonl',
    provider: 'OpenAI',
    content: '**Holiday Name:** respect.',
    reasoning: '',
    end: { usage: usage(16, 300, 316), read: read('usage', 'none') },
  },
  {
    file: 'qwen/qwen3-max-text.chunks.jsonl',
    provider: 'DashScope',
    content: '## The Festival of Shared Stories are woven together."*',
    reasoning: '',
    end: { usage: usage(18, 779, 797), read: read('usage', 'none') },
  },
  {
    file: 'qwen/qwen3-max-reasoning.chunks.jsonl',
    provider: 'DashScope',
    content: 'The word **"strawberry"** contains **3** instances  \n\n**Answer: 3**',
    reasoning: 'We are asked: "How many.\n\nSo final answer: 3.',
    // Reasoning inside completion_tokens (1379 = 24 + 1355).
    end: { usage: usage(24, 1355, 1379, 1084), read: read('usage', 'inside') },
  },
  {
    file: 'groq/llama-3.3-text.chunks.jsonl',
    provider: 'Groq',
    content: 'Introducing " light.',
    reasoning: '',
    end: { usage: usage(45, 662, 707), read: read('usage', 'none') },
  },
  {
    file: 'groq/qwen3-32b-reasoning.chunks.jsonl',
    provider: 'Groq',
    content: 'The word **3}$',
    reasoning: 'Okay, let is three.\n',
    end: { usage: usage(17, 1107, 1124, 963), read: read('usage', 'inside') },
  },
  {
    file: 'deepseek/v4-flash-live-usage.chunks.jsonl',
    provider: 'DeepSeek',
    content: 'sanitized',
    reasoning: '',
    // Reasoning inside completion_tokens here; a reply cut at the token limit still completes.
    end: { usage: usage(88, 4, 92, 4), read: read('usage', 'inside') },
  },
  {
    file: 'openrouter/gpt-oss-120b-usage.chunks.jsonl',
    provider: 'OpenRouter',
    content: 'There are **47** files.',
    reasoning: '',
    // Usage rides on a chunk that still has a choice (an empty delta), after the stop.
    end: { usage: usage(7007, 49, 7056), read: read('usage', 'none') },
  },
  {
    file: 'ollama/qwen2.5-coder-cjk.sse',
    provider: 'Ollama',
    content: 'Higress 是一个基于场景下的需求。',
    reasoning: '',
    // Recorded without stream_options.include_usage: Ollama then sends no usage.
    end: { usage: NO_USAGE },
  },
  {
    file: 'ollama/qwen3-reasoning-first-last.sse',
    provider: 'Ollama',
    content: '',
    reasoning: 'Okay',
    end: { usage: NO_USAGE },
  },
  {
    file: 'llamacpp/qwen3.6-include-usage.chunks.jsonl',
    provider: 'LlamaCpp',
    content: '',
    reasoning: 'Analyze',
    // usage in its own last chunk beside timings; 9 of the 13 prompt tokens came from the cache.
    end: { usage: usage(13, 10, 23, 0, 9), read: read('usage', 'none') },
  },
  {
    file: 'llamacpp/qwen3.6-timings-only.chunks.jsonl',
    provider: 'LlamaCpp',
    content: '',
    reasoning: ' **Analyze',
    // No usage without include_usage: timings give the same figures (4 evaluated + 9 cached in, 10 out).
    end: { usage: usage(13, 10, 23, 0, 9), read: read('timings', 'none') },
  },
  {
    file: 'deepseek/reasoner.chunks.jsonl',
    provider: 'DeepSeek',
    content: 'The word ""s.',
    reasoning: 'We need3.',
    end: { usage: usage(18, 219, 237, 205), read: read('usage', 'inside') },
  },
  {
    file: 'perplexity/sonar-running-usage.chunks.jsonl',
    provider: 'Perplexity',
    content: 'OK',
    reasoning: '',
    // Running totals on both chunks: the last one, not their sum.
    end: { usage: usage(6, 1, 7), read: read('usage', 'none', { usd: 0.00501, field: 'usage.cost.total_cost' }) },
  },
  {
    file: 'openai-responses/basic-text.chunks.jsonl',
    provider: 'OpenAIResponses',
    content: 'Code in silence,\nBugs emerge at runtime—\nConsole dot log.',
    reasoning: '',
    end: { usage: usage(28, 21, 49), read: read('response.usage', 'none') },
  },
  {
    file: 'openai-responses/reasoning-summary.chunks.jsonl',
    provider: 'OpenAIResponses',
    content:
      "The sky is blue because of a phenomenon called Rayleigh scattering. When sunlight enters Earth's atmosphere, it collides with gas molecules. Blue light has a shorter wavelength and gets scattered more than other colors, making the sky appear blue to our eyes.",
    reasoning:
      'The sky appears blue due to Rayleigh scattering, where shorter wavelengths of light (blue) scatter more than longer wavelengths (red) in the atmosphere.',
    end: { usage: usage(32, 89, 121, 45), read: read('response.usage', 'inside') },
  },
  {
    file: 'openai-responses/azure-gpt-5.4-reasoning-usage-end.chunks.jsonl',
    provider: 'OpenAIResponses',
    content: 'X',
    reasoning: '',
    // The end of a 1,406-event capture: 516 reasoning tokens inside output_tokens (13671 = 12044 + 1627).
    end: { usage: usage(12044, 1627, 13671, 516), read: read('response.usage', 'inside') },
  },
  {
    file: 'moonshot/moonshot-v1-8k-choice-usage.chunks.jsonl',
    // Moonshot is none of the 37: reached through a plain chat profile whose base URL points at it.
    provider: 'AIMLAPI',
    content: ' to display',
    reasoning: '',
    // Usage only inside the last chunk's choices[0] (the 492 / 49 / 541).
    end: { usage: usage(492, 49, 541), read: read('choices[].usage', 'none') },
  },
  {
    file: 'moonshot/kimi-k3-usage-twice.chunks.jsonl',
    provider: 'AIMLAPI',
    content: 'OK',
    reasoning:
      'The user is asking me to reply with exactly "OK". This is a simple request with no ambiguity. I should just respond with "OK" and nothing else.',
    // One snapshot sent twice (choices[0].usage, then top level): taken once. Reasoning inside, all 90 prompt tokens cached.
    end: { usage: usage(90, 50, 140, 33, 90), read: read('usage', 'inside') },
  },
  {
    file: 'vllm/llama-3.1-70b-continuous-usage.chunks.jsonl',
    provider: 'VLLM',
    content: "Hello Sam. It's nice to meet you. Is there something I can help you with or would you like to chat?",
    reasoning: '',
    // A running total on all 28 chunks: the last (summing would bill 377 completion tokens).
    end: { usage: usage(46, 26, 72), read: read('usage', 'none') },
  },
  {
    file: 'cerebras/zai-glm-4.7-reasoning-tool.chunks.jsonl',
    provider: 'Cerebras',
    content: '',
    reasoning: 'The user is asking about a "magic number". I call this function to get the magic number.',
    // Usage on the tool_calls finish chunk: 97 reasoning tokens inside 104, 256 of 322 prompt tokens cached.
    end: { usage: usage(322, 104, 426, 97, 256), read: read('usage', 'inside') },
  },
  {
    file: 'sambanova/llama3-8b-usage-chunk.chunks.jsonl',
    provider: 'Sambanova',
    content: 'I am a bot',
    reasoning: '',
    // An edited capture: the usage still counts the original reply's 41 tokens.
    end: { usage: usage(21, 41, 62), read: read('usage', 'none') },
  },
  {
    file: 'together/llama-3.1-8b-turbo-usage.chunks.jsonl',
    provider: 'Together',
    content: 'ABCABC',
    reasoning: '',
    // Usage on the last content chunk (finish_reason "eos"), null before.
    end: { usage: usage(12, 27, 39), read: read('usage', 'none') },
  },
  {
    file: 'vercel/grok-4.1-fast-via-gateway.chunks.jsonl',
    provider: 'Vercel',
    content: 'OK',
    reasoning: '',
    // The gateway's money beside the tokens, never read as tokens.
    end: { usage: usage(675, 1, 676, 0, 674), read: read('usage', 'none', { usd: 0.0000344, field: 'usage.cost' }) },
  },
  {
    file: 'openai-responses/insufficient-quota.chunks.jsonl',
    provider: 'OpenAIResponses',
    content: '',
    reasoning: '',
    end: { error: upstreamErrorLine(UPSTREAM_MSG.quota, QUOTA_REASON) },
  },
  {
    file: 'openai-responses/failed-rate-limit.chunks.jsonl',
    provider: 'OpenAIResponses',
    content: '',
    reasoning: '',
    end: {
      error: upstreamErrorLine(
        UPSTREAM_MSG.rateLimited,
        'Request too large for gpt-4o-mini in organization on tokens per min (TPM): Limit 30000, Requested 35364.',
      ),
    },
  },
  {
    file: 'openrouter/mid-stream-error.sse',
    provider: 'OpenRouter',
    content: '',
    reasoning: '',
    end: { error: upstreamErrorLine(UPSTREAM_MSG.unavailable, 'Provider disconnected') },
  },
];

const CUTS = {
  whole: (body: Buffer) => [body],
  cut: awkwardPieces,
  'crlf cut': (body: Buffer) => awkwardPieces(withCrlf(body)),
} as const;

const detailOf = async (out: Capture) =>
  (await api({ method: 'GET', path: `/ai/chat/session/${out.lines[0]!.session_id as string}`, authorization: auth })).json;

describe.each(CASES)('$file', (c) => {
  const body = wireBody(c.file);

  it.each(Object.keys(CUTS) as (keyof typeof CUTS)[])('replayed %s through the stream handler', async (cut) => {
    const pieces = CUTS[cut](body);
    const modelCode = `${c.file}:${cut}`;
    replay.serve(modelCode, (request) => (c.provider === 'Mistral' && 'stream_options' in request ? STREAM_OPTIONS_REFUSED : { pieces }));
    const model = await h.addModel({ provider: c.provider, modelCode, baseUrl: replay.url, supportReasoning: 'Y', apiKey: KEY });
    const logs = captureLogs();
    const out = await h.send({ modelId: model.modelId, message: 'hi', isReasoning: true }, { authorization: auth });
    logs.stop();

    // Nothing but strings on the text lines, and together the provider's text.
    for (const line of [...out.ofType('content'), ...out.ofType('reasoning')]) expect(typeof line.content).toBe('string');
    expect(out.text('content')).toBe(c.content);
    expect(out.text('reasoning')).toBe(c.reasoning);
    const last = out.lines.at(-1)!;
    if ('usage' in c.end) {
      expect(last).toMatchObject({ type: 'metrics', metrics: c.end.usage });
      // Every piece went out as its own write (a failure stops the reading before the end).
      expect(replay.written.get(modelCode)).toBe(pieces.length);
      // Where the numbers came from reaches the run's end, for the usage record to keep.
      const finished = logs.entries().find((e) => e.message === 'run finished');
      expect(finished?.usageSource ?? undefined).toEqual(c.end.read ? expect.objectContaining(c.end.read) : undefined);
    } else {
      expect(out.ofType('error')).toEqual([{ type: 'error', error: c.end.error }]);
      expect(last.type).toBe('error');
    }

    const detail = await detailOf(out);
    const reply = detail.data.messages.at(-1);
    expect(reply).toMatchObject({
      role: 'assistant',
      content: c.content,
      reasoningContent: c.reasoning,
      metrics: 'usage' in c.end ? c.end.usage : NO_USAGE,
    });
  });

  it('gives the same through the stream readers when every piece is its own read', async () => {
    const pieces = awkwardPieces(withCrlf(body));
    const got = {
      content: [] as unknown[],
      reasoning: [] as unknown[],
      usage: undefined as TokenUsage | undefined,
      source: undefined as UsageSource | undefined,
      error: undefined as unknown,
    };
    const sink: UpstreamSink = {
      seen: () => {},
      demand: () => undefined,
      content: (t) => got.content.push(t),
      reasoning: (t) => got.reasoning.push(t),
      usage: ({ tokens, source }) => {
        got.usage = tokens;
        got.source = source;
      },
    };
    let reads = 0;
    const client = new OpenAI({
      apiKey: KEY,
      baseURL: 'http://replay.invalid/v1',
      maxRetries: 0,
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              const piece = pieces[reads++];
              if (piece) controller.enqueue(new Uint8Array(piece));
              else controller.close();
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    });
    const request = { model: 'm', messages: [{ role: 'user' as const, text: 'hi' }], reasoning: true };
    const signal = new AbortController().signal;
    const profile = profileOf(c.provider);
    await (profile.api === 'responses'
      ? streamResponses(client, request, Promise.resolve(true), sink, signal)
      : streamChatCompletions(client, request, profile, Promise.resolve(true), sink, signal)
    ).catch((err: unknown) => {
      got.error = err;
    });

    expect(got.content.every((t) => typeof t === 'string') && got.reasoning.every((t) => typeof t === 'string')).toBe(true);
    expect(got.content.join('')).toBe(c.content);
    expect(got.reasoning.join('')).toBe(c.reasoning);
    if ('usage' in c.end) {
      expect(reads).toBeGreaterThan(pieces.length);
      expect(got.error).toBeUndefined();
      // A stream without usage never reports any; the run then counts zeros.
      expect(got.usage ?? NO_USAGE).toEqual(c.end.usage);
      expect(got.source).toEqual(c.end.read ? expect.objectContaining(c.end.read) : undefined);
    } else {
      expect(describeUpstreamError(got.error, { apiKey: KEY, prompt: ['hi'] }).message).toBe(c.end.error);
    }
  });
});

describe('a provider error that echoes the prompt and the key', () => {
  const SECRET = 'my-private-question-about-salary-7f3a9';
  const lastUser = (body: Record<string, unknown>) => {
    const messages = body.messages as { role: string; content: string }[];
    return messages.filter((m) => m.role === 'user').at(-1)!.content;
  };

  it.each([
    [
      'over HTTP',
      (body: Record<string, unknown>) => ({
        status: 400,
        json: { error: { message: `Invalid request with key ${KEY}: "${lastUser(body)}"`, type: 'invalid_request_error', code: 'invalid_prompt' } },
      }),
      UPSTREAM_MSG.rejected,
    ],
    [
      'in a 200 stream',
      (body: Record<string, unknown>) => ({
        pieces: [Buffer.from(`data: {"error":{"code":400,"message":"Bad prompt (key ${KEY}): ${lastUser(body)}"},"choices":[]}\n\n`)],
      }),
      UPSTREAM_MSG.rejected,
    ],
  ])('%s: neither reaches the error line, the stored run or any log line of the run', async (_, reply, message) => {
    const modelCode = `echo-${_}`;
    replay.serve(modelCode, reply);
    const model = await h.addModel({ provider: 'OpenRouter', modelCode, baseUrl: replay.url, apiKey: KEY });
    const logs = captureLogs();
    const out = await h.send({ modelId: model.modelId, message: SECRET }, { authorization: auth });
    logs.stop();

    expect(out.ofType('error')).toEqual([{ type: 'error', error: message }]);
    expect(JSON.stringify(await detailOf(out))).not.toContain(KEY);
    const failure = logs.entries().find((e) => e.message === 'model call failed');
    expect(failure).toMatchObject({ upstream: { status: 400, class: 'rejected' } });
    expect(logs.text).toContain('"message":"run finished"');
    expect(logs.text).not.toContain(SECRET);
    expect(logs.text).not.toContain(KEY);
    expect(logs.text).not.toContain('salary');
  });
});
