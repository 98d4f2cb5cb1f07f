import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai/core/error';
import { HIDDEN, hideKeyLike } from '../key-like.ts';
import { UPSTREAM_MSG, upstreamErrorLine } from '../wire/messages.ts';

/**
 * Every way a model call can fail, and how each is recognised (the user reads the
 * class's message from wire/messages.ts, then the provider's own short reason where it
 * gave one). One table: a class is found by the provider's error code or type first, then by its
 * message, then by the HTTP status (or the status an in-band error names).
 */
export const UPSTREAM_CLASSES = {
  quota: {
    codes: /insufficient_quota|quota_exceeded|billing|insufficient_balance|insufficient_credits|payment_required|arrearage/,
    text: /exceeded your current quota|insufficient (balance|credits|funds|quota)|billing|余额不足|欠费/,
    statuses: [402],
  },
  contextTooLong: {
    codes: /context_length|context_window|string_above_max_length|too_many_tokens|prompt_too_long/,
    text: /context (length|window)|maximum context|prompt is too long|input is too long|too many (input )?tokens|exceeds the (maximum|max) (number of )?tokens/,
    statuses: [413],
  },
  contentFiltered: {
    codes: /content_filter|content_policy|data_inspection_failed|moderation|safety|prohibited_content|blocklist/,
    text: /content (filter|policy|management)|inappropriate content|safety (system|filter|polic)|flagged (by|as)/,
    statuses: [],
  },
  modelNotFound: {
    codes: /model_not_found|model_not_available|unknown_model|invalid_model|no_such_model/,
    text: /model\b.{0,80}\b(does not exist|not found|not exist|is not (available|supported))|not a valid model|no endpoints found|unknown model|invalid model/,
    statuses: [],
  },
  auth: {
    codes: /invalid_api_key|incorrect_api_key|authentication|unauthori[sz]ed|permission_denied|invalid_key|api_key_invalid/,
    text: /api key|unauthori[sz]ed|authentication (failed|error)|invalid (token|credentials)/,
    statuses: [401, 403],
  },
  rateLimited: {
    codes: /rate_limit|too_many_requests|resource_exhausted|throttl/,
    text: /rate limit|too many requests|请求过于频繁/,
    statuses: [429],
  },
  overloaded: {
    codes: /overloaded|over_capacity|capacity_exceeded|service_unavailable|unavailable/,
    text: /overloaded|over capacity|at capacity|temporarily unavailable/,
    statuses: [503, 529],
  },
  timeout: {
    codes: /timeout|timed_out|deadline_exceeded/,
    text: /timed out|timeout/,
    statuses: [408, 504],
  },
  unavailable: {
    codes: /server_error|bad_gateway/,
    text: /internal (server )?error|bad gateway/,
    statuses: [500, 502],
  },
} as const satisfies Record<string, { codes: RegExp; text: RegExp; statuses: readonly number[] }>;

// Each class has its message in UPSTREAM_MSG: indexing it by a class name without one does not compile.
type UpstreamClass = keyof typeof UPSTREAM_CLASSES;
const CLASS_NAMES = Object.keys(UPSTREAM_CLASSES) as UpstreamClass[];

/** The provider's short reason kept on the error line and in the log: far shorter than any prompt worth protecting. */
export const MAX_REASON_CHARS = 120;
/** Codes and types are identifiers; anything longer is not one. */
const MAX_CODE_CHARS = 64;
/** A run of this many characters of the prompt found in a reason means the provider echoed it. */
const ECHO_WINDOW = 12;
/** Shorter prompts are looked for whole, from this length on (shorter ones say nothing about the user). */
const MIN_ECHO = 6;

/** What the run knows that must never leave it: the key, and everything the prompt said. */
export interface Secrets {
  apiKey: string;
  prompt: readonly string[];
}

/** Long runs of token alphabet with both letters and digits: base64, hex and JWT-ish strings. */
const TOKEN_RUN = /[A-Za-z0-9+/=_-]{24,}/g;

/** Cuts the key, anything key-like and long token-like runs out of provider text. */
const redact = (text: string, apiKey: string): string => {
  const out = hideKeyLike(apiKey.length >= 4 ? text.split(apiKey).join(HIDDEN) : text);
  return out.replace(TOKEN_RUN, (run) => (/\d/.test(run) && /[A-Za-z]/.test(run) ? HIDDEN : run));
};

/** Whether `text` repeats part of the prompt: a provider quoting the user's message back. */
const echoesPrompt = (text: string, prompt: readonly string[]): boolean => {
  for (const said of prompt) {
    if (said.length < ECHO_WINDOW) {
      if (said.trim().length >= MIN_ECHO && text.includes(said.trim())) return true;
      continue;
    }
    for (let i = 0; i + ECHO_WINDOW <= text.length; i += 1) {
      if (said.includes(text.slice(i, i + ECHO_WINDOW))) return true;
    }
  }
  return false;
};

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Provider free text made safe to show and to log: nothing when it quotes the prompt
 * (it is dropped whole, not patched), otherwise key-like strings cut and the length bounded.
 */
export const safeReason = (text: unknown, secrets: Secrets): string | undefined => {
  if (typeof text !== 'string') return undefined;
  // Bounded before the echo search, so a huge body costs little.
  const flat = text
    .slice(0, 4 * MAX_REASON_CHARS)
    .replace(/\s+/g, ' ')
    .trim();
  if (!flat || echoesPrompt(flat, secrets.prompt)) return undefined;
  return shorten(redact(flat, secrets.apiKey), MAX_REASON_CHARS);
};

interface ProviderError {
  status?: number;
  /** The provider's `code`, `type` and (Gemini) `status` strings. */
  code?: string;
  type?: string;
  providerStatus?: string;
  message?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The provider's error object under its wrappers: `{error:{…}}` (OpenAI and most),
 * `[{error:{…}}]` (Gemini), `{type:"error",error:{…}}` (Anthropic).
 */
const innermost = (body: unknown): Record<string, unknown> | undefined => {
  let value = body;
  for (let depth = 0; depth < 4; depth += 1) {
    if (Array.isArray(value)) value = value[0];
    else if (isObject(value) && isObject(value.error)) value = value.error;
    else break;
  }
  return isObject(value) && !Array.isArray(value) ? value : undefined;
};

const identifier = (value: unknown) => (typeof value === 'string' && value ? value.slice(0, MAX_CODE_CHARS) : undefined);

const providerError = (err: APIError): ProviderError => {
  const body = innermost(err.error);
  // OpenRouter names the status in-band as a number; some servers put it in `code` as a string.
  const code = body?.code;
  const named = typeof code === 'number' ? code : typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : NaN;
  const numeric = Number.isInteger(named) && named >= 400 && named < 600 ? named : undefined;
  return {
    status: err.status ?? numeric,
    code: identifier(body?.code),
    type: identifier(body?.type),
    providerStatus: identifier(body?.status),
    message: typeof body?.message === 'string' ? body.message : undefined,
  };
};

const classify = (found: ProviderError): UpstreamClass | undefined => {
  const codes = [found.code, found.type, found.providerStatus].filter((c): c is string => !!c).map((c) => c.toLowerCase());
  const text = found.message?.toLowerCase() ?? '';
  const { status } = found;
  return (
    CLASS_NAMES.find((name) => codes.some((c) => UPSTREAM_CLASSES[name].codes.test(c))) ??
    CLASS_NAMES.find((name) => text && UPSTREAM_CLASSES[name].text.test(text)) ??
    CLASS_NAMES.find((name) => status !== undefined && (UPSTREAM_CLASSES[name].statuses as readonly number[]).includes(status))
  );
};

/** Every failure a model call can have: the recognised classes, and the ones told by how the call failed. */
export type UpstreamErrorClass = keyof typeof UPSTREAM_MSG;

export interface UpstreamFailure {
  /** The error line and the stored run's `error`. */
  message: string;
  errorClass: UpstreamErrorClass;
  /** The provider's own short reason, made safe (`safeReason`), and its HTTP status, where it gave them. */
  reason?: string;
  status?: number;
  /** The `model call failed` log entry: status, type, code, the reason as shown, never raw text. */
  log: Record<string, unknown>;
}

/** What the user reads and what the log keeps about a failed model call. */
export const describeUpstreamError = (err: unknown, secrets: Secrets): UpstreamFailure => {
  const kind = err instanceof Error ? (err.constructor.name || err.name).slice(0, MAX_CODE_CHARS) : typeof err;
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? safeReason(`${err.cause.name}: ${err.cause.message}`, secrets) : undefined;
    const errorClass = err instanceof APIConnectionTimeoutError ? 'timeout' : 'unreachable';
    return { message: UPSTREAM_MSG[errorClass], errorClass, log: { kind, ...(cause ? { cause } : {}) } };
  }
  if (!(err instanceof APIError)) return { message: UPSTREAM_MSG.interrupted, errorClass: 'interrupted', log: { kind } };
  const found = providerError(err);
  const name = classify(found);
  const errorClass = name ?? (found.status !== undefined && found.status >= 400 && found.status < 500 ? 'rejected' : 'unavailable');
  const reason = safeReason(found.message, secrets);
  const [code, type, status] = [found.code, found.type, found.providerStatus].map((c) => (c ? redact(c, secrets.apiKey) : undefined));
  return {
    message: upstreamErrorLine(UPSTREAM_MSG[errorClass], reason),
    errorClass,
    ...(reason ? { reason } : {}),
    ...(found.status === undefined ? {} : { status: found.status }),
    log: {
      kind,
      class: errorClass,
      ...(found.status === undefined ? {} : { status: found.status }),
      ...(code ? { code } : {}),
      ...(type ? { type } : {}),
      ...(status ? { providerStatus: status } : {}),
      ...(reason ? { reason } : {}),
    },
  };
};
