import { hideKeyLike } from '../key-like.ts';

/**
 * What the audit trail keeps of a request or a result, as RuoYi's `LogSanitizer` with
 * masking on (`.env.prod`) and the AI module's `@Log` exclusions: keys compared in lower
 * case without punctuation (`api_key` is `apiKey`); the model's API key left out entirely
 * (RuoYi's `request_exclude_fields=(json_body.api_key,)`), the rest of RuoYi's secret
 * fields masked (the system prompt among them), key-like text in any value cut out.
 */

/** The most characters RuoYi's `oper_param` and `json_result` columns keep (varchar(2000)). */
export const MAX_KEPT_CHARS = 2000;

const MASK = '******';
const EXCLUDED = new Set(['apikey']);
const MASKED = new Set([
  'password',
  'oldpassword',
  'newpassword',
  'confirmpassword',
  'token',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'clientsecret',
  'secret',
  'secretkey',
  'privatekey',
  'privatekeypem',
  'credential',
  'credentials',
  'smscode',
  'captchacode',
  'systemprompt',
]);
/** Deeper than any body a route parses; a deeper value is cut, not walked. */
const MAX_DEPTH = 8;

const normalKey = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

export const sanitize = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return hideKeyLike(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const normal = normalKey(key);
    if (EXCLUDED.has(normal)) continue;
    out[key] = MASKED.has(normal) ? MASK : sanitize(v, depth + 1);
  }
  return out;
};

/** Sanitised and printed as RuoYi prints it (indented JSON); past the column's size, RuoYi's placeholder instead. */
export const keptJson = (value: unknown, tooLong: string): string => {
  const text = JSON.stringify(sanitize(value), null, 2) ?? '';
  return text.length > MAX_KEPT_CHARS ? tooLong : text;
};
