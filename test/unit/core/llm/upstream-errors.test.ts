import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai/core/error';
import { describe, expect, it } from 'vitest';
import { describeUpstreamError, MAX_REASON_CHARS, safeReason } from '../../../../lambdas/core/llm/upstream-errors.ts';
import { UPSTREAM_MSG, upstreamErrorLine } from '../../../../lambdas/core/wire/messages.ts';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwx0123456789';
const PROMPT = 'Please summarise my medical history: diabetes since 2011, insulin twice daily.';
const secrets = { apiKey: KEY, prompt: ['You are a helpful AI assistant.', PROMPT] };

/** An HTTP error as the openai client builds it from a provider's JSON body. */
const http = (status: number, body: unknown) =>
  APIError.generate(status, (body && typeof body === 'object' && !('error' in body) ? { error: body } : body) as object | undefined, undefined, new Headers());
/** An error inside a 200 stream, as event-stream.ts builds it. */
const inBand = (error: unknown) => new APIError(undefined, error as object, undefined, undefined);

describe('each failure class reaches the user as its own message', () => {
  it.each([
    // Bodies as the providers document or were recorded sending them.
    [
      'OpenAI 429 rate limit',
      http(429, {
        error: {
          message: 'Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1.',
          type: 'requests',
          code: 'rate_limit_exceeded',
        },
      }),
      'rateLimited',
    ],
    [
      'OpenAI 429 insufficient_quota',
      http(429, {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      }),
      'quota',
    ],
    ['DeepSeek 402', http(402, { error: { message: 'Insufficient Balance', type: 'unknown_error', param: null, code: 'invalid_request_error' } }), 'quota'],
    ['OpenRouter 402', http(402, { error: { code: 402, message: 'Insufficient credits. Add more using https://openrouter.ai/credits' } }), 'quota'],
    [
      'OpenAI 401',
      http(401, {
        error: { message: 'Incorrect API key provided: sk-proj-********************6789.', type: 'invalid_request_error', code: 'invalid_api_key' },
      }),
      'auth',
    ],
    ['Anthropic 401', http(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }), 'auth'],
    ['Mistral 401', http(401, { message: 'Unauthorized', request_id: 'f6e0c3' }), 'auth'],
    [
      'OpenAI 404 model',
      http(404, {
        error: { message: 'The model `gpt-9` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
      }),
      'modelNotFound',
    ],
    ['OpenRouter 400 model id', http(400, { error: { code: 400, message: 'foo/bar is not a valid model ID' } }), 'modelNotFound'],
    [
      'OpenAI 400 context',
      http(400, {
        error: {
          message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens.",
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
        },
      }),
      'contextTooLong',
    ],
    [
      'Anthropic 400 prompt too long',
      http(400, { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 208342 tokens > 200000 maximum' } }),
      'contextTooLong',
    ],
    [
      'DashScope 400 inspection',
      http(400, { error: { code: 'data_inspection_failed', message: 'Input data may contain inappropriate content.', type: 'data_inspection_failed' } }),
      'contentFiltered',
    ],
    [
      'Azure 400 content filter',
      http(400, {
        error: { code: 'content_filter', message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy." },
      }),
      'contentFiltered',
    ],
    ['Anthropic 529', http(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), 'overloaded'],
    ['Gemini 503', http(503, [{ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }]), 'overloaded'],
    [
      'Gemini 429',
      http(429, [{ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }]),
      'rateLimited',
    ],
    ['a gateway 504', http(504, { error: { message: 'Gateway Timeout' } }), 'timeout'],
    [
      'OpenAI 500',
      http(500, { error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } }),
      'unavailable',
    ],
    ['a bare 502', http(502, undefined), 'unavailable'],
    ['OpenRouter in-band 429', inBand({ code: 429, message: 'Rate limit exceeded: free-models-per-day.' }), 'rateLimited'],
    ['OpenRouter in-band server_error', inBand({ code: 'server_error', message: 'Provider disconnected unexpectedly' }), 'unavailable'],
    [
      'Responses error event (quota)',
      inBand({
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        message: 'You exceeded your current quota, please check your plan and billing details.',
        param: null,
      }),
      'quota',
    ],
    [
      'Responses response.failed (rate)',
      inBand({ code: 'rate_limit_exceeded', message: 'Request too large for gpt-4o-mini on tokens per min (TPM): Limit 30000, Requested 35364.' }),
      'rateLimited',
    ],
    ['a filtered finish', inBand({ code: 'content_filter' }), 'contentFiltered'],
  ] as const)('%s', (_, err, cls) => {
    const { message, errorClass, log } = describeUpstreamError(err, secrets);
    expect(message.startsWith(UPSTREAM_MSG[cls])).toBe(true);
    expect(errorClass).toBe(cls);
    expect(log.class).toBe(cls);
  });

  it('tells a refusal without a known class, a connection failure, a timeout and a broken stream apart', () => {
    expect(describeUpstreamError(http(422, { error: { message: 'Unprocessable' } }), secrets).message).toBe(
      upstreamErrorLine(UPSTREAM_MSG.rejected, 'Unprocessable'),
    );
    expect(describeUpstreamError(new APIConnectionError({ message: 'Connection error.' }), secrets).message).toBe(UPSTREAM_MSG.unreachable);
    expect(describeUpstreamError(new APIConnectionTimeoutError(), secrets).message).toBe(UPSTREAM_MSG.timeout);
    expect(describeUpstreamError(new TypeError('terminated'), secrets).message).toBe(UPSTREAM_MSG.interrupted);
    expect(
      [
        http(422, { error: { message: 'Unprocessable' } }),
        new APIConnectionError({ message: 'Connection error.' }),
        new APIConnectionTimeoutError(),
        new TypeError('terminated'),
        inBand({ message: 'Something odd' }),
      ].map((err) => describeUpstreamError(err, secrets).errorClass),
    ).toEqual(['rejected', 'unreachable', 'timeout', 'interrupted', 'unavailable']);
    expect(describeUpstreamError(inBand({ message: 'Something odd' }), secrets).message).toBe(upstreamErrorLine(UPSTREAM_MSG.unavailable, 'Something odd'));
  });

  it('gives every class its own message', () => {
    const messages = Object.values(UPSTREAM_MSG);
    expect(new Set(messages).size).toBe(messages.length);
  });
});

describe("the provider's reason", () => {
  it('follows the class, key-like strings cut out', () => {
    const err = http(401, { error: { message: `Incorrect API key provided: ${KEY}. Header was Bearer ${KEY}`, code: 'invalid_api_key' } });
    const { message, log } = describeUpstreamError(err, secrets);
    expect(message).toBe(upstreamErrorLine(UPSTREAM_MSG.auth, 'Incorrect API key provided: [已隐藏]. Header was [已隐藏]'));
    expect(JSON.stringify(log)).not.toContain('abcdefghijklmnop');
  });

  it.each([
    ['a masked OpenAI key', 'Incorrect API key provided: sk-proj-****6789.', 'Incorrect API key provided: [已隐藏].'],
    ['a Gemini key', 'API key not valid: AIzaSyD-1234567890abcdefghij', 'API key not valid: [已隐藏]'],
    ['a long hex token', 'request 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b failed', 'request [已隐藏] failed'],
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc rejected', 'token [已隐藏] rejected'],
    [
      'a plain URL stays',
      'see https://platform.openai.com/docs/guides/error-codes/api-errors',
      'see https://platform.openai.com/docs/guides/error-codes/api-errors',
    ],
  ])('%s', (_, text, shown) => {
    expect(safeReason(text, { apiKey: 'unrelated-key-value', prompt: [] })).toBe(shown);
  });

  it('is dropped whole when it quotes the prompt, and bounded otherwise', () => {
    const echo = http(400, { error: { message: `Invalid content in message: "${PROMPT}"`, type: 'invalid_request_error' } });
    const { message, log } = describeUpstreamError(echo, secrets);
    expect(message).toBe(UPSTREAM_MSG.rejected);
    expect(JSON.stringify(log)).not.toContain('diabetes');
    // A short message is looked for whole.
    expect(safeReason('bad input: hello there', { apiKey: KEY, prompt: ['hello there'] })).toBeUndefined();
    const long = safeReason('x '.repeat(5000), secrets)!;
    expect(long.length).toBe(MAX_REASON_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });

  it('logs status, type and code, never free text beyond the bounded reason', () => {
    const err = http(429, { error: { message: 'Rate limit reached.', type: 'requests', code: 'rate_limit_exceeded' } });
    expect(describeUpstreamError(err, secrets).log).toEqual({
      kind: 'RateLimitError',
      class: 'rateLimited',
      status: 429,
      code: 'rate_limit_exceeded',
      type: 'requests',
      reason: 'Rate limit reached.',
    });
  });
});
