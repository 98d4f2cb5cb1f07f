/** What shows where a key-like string was cut out. */
export const HIDDEN = '[已隐藏]';

const KEY_LIKE: RegExp[] = [
  /\bBearer\s+\S+/gi,
  /\b(?:sk|pk|rk|gsk|xai|pplx|nvapi|hf|sess)[-_][\w*-]{4,}/gi,
  /\bAIza[\w-]{10,}/g,
  /\beyJ[\w-]+(?:\.[\w-]+){1,2}/g,
];

/**
 * Cuts what looks like a key or a token (`Bearer …`, `sk-…`, `AIza…`, a JWT) out of text:
 * a provider's error reason (llm/upstream-errors.ts) and the requests the audit trail keeps.
 */
export const hideKeyLike = (text: string): string => KEY_LIKE.reduce((out, pattern) => out.replace(pattern, HIDDEN), text);
