import { ServiceError } from '../errors/service-error.ts';
import { ENGLISH_MESSAGES } from '../validation/parse.ts';
import type { Identity } from './identity.ts';
import { createIdentityCache } from './identity-cache.ts';
import { bearerToken, verifyHs256 } from './jwt.ts';
import { getInfoSchema, identityFromGetInfo } from './ruoyi-getinfo.ts';
import type { TokenVerifier } from './token-verifier.ts';
import { AUTH_MSG } from '../wire/messages.ts';

export interface RuoyiAuthSettings {
  mode: 'ruoyi';
  /** RuoYi's `JWT_SECRET_KEY`. */
  secret: string;
  /** RuoYi's API base (no trailing slash): `${apiUrl}/getInfo` is its getInfo. */
  apiUrl: string;
  cacheMs: number;
  timeoutMs: number;
}

/** Far above any real answer (a user's permission list), so a runaway body is cut off. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Distinct tokens one instance remembers; an instance serves far fewer users per interval. */
const CACHE_ENTRIES = 1000;

/**
 * RuoYi unreachable, slow, broken or answering something that is not its envelope.
 * Code 500, not 401: RuoYi's page logs the user out on 401, and an outage says
 * nothing about the token; 401 is kept for tokens RuoYi itself rejects.
 */
const unavailable = async (reason: string): Promise<ServiceError> => {
  // Loaded here, not with this module: the logger reads its level when first imported.
  const { logger } = await import('../observability/logger.ts');
  logger.warn('RuoYi /getInfo unavailable', { reason });
  return ServiceError.service(AUTH_MSG.unavailable);
};

const readBounded = async (response: Response): Promise<string> => {
  if (Number(response.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) throw new Error('answer too large');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
    size += read.value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader!.cancel();
      throw new Error('answer too large');
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** The caller's token is sent as RuoYi's page sends it; RuoYi answers every outcome with HTTP 200 and a `code`. */
const askRuoyi = async (settings: RuoyiAuthSettings, token: string): Promise<unknown> => {
  let text: string;
  try {
    const response = await fetch(`${settings.apiUrl}/getInfo`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    text = await readBounded(response);
  } catch (err) {
    throw await unavailable(err instanceof Error ? `${err.name}: ${err.message}` : 'fetch failed');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw await unavailable('answer is not JSON');
  }
};

/**
 * RuoYi's own verdict: code 200 is the caller's identity, a code below 500 (401:
 * logged out, idle for 30 minutes, user disabled) refuses the token, and RuoYi's own
 * server errors (its database or Redis down) are an outage like an unreachable RuoYi.
 */
const identityFromAnswer = async (answer: unknown, tokenUserId: string): Promise<Identity> => {
  const code = (answer as { code?: unknown } | null)?.code;
  if (typeof code !== 'number') throw await unavailable('answer is not an envelope');
  if (code >= 500) throw await unavailable(`code ${code}`);
  if (code !== 200) throw ServiceError.unauthorized();
  const parsed = getInfoSchema.safeParse(answer, ENGLISH_MESSAGES);
  if (!parsed.success) throw await unavailable(`unexpected answer at ${parsed.error.issues[0]!.path.join('.')}`);
  const identity = identityFromGetInfo(parsed.data);
  if (identity.userId !== tokenUserId) throw await unavailable('answer names another user');
  return identity;
};

/**
 * RuoYi mode. The signature and `exp` are checked here on every request (RuoYi's
 * `JwtUtil.decode`); who the caller is, and whether RuoYi still accepts the token
 * (its Redis forgets it on logout and after 30 idle minutes), only RuoYi knows, so
 * its `/getInfo` answer is the identity, reused per token for `cacheMs`.
 */
export const createRuoyiVerifier = (settings: RuoyiAuthSettings): TokenVerifier => {
  const verify = verifyHs256(settings.secret);
  const cached = createIdentityCache<Identity>({ ttlMs: settings.cacheMs, maxEntries: CACHE_ENTRIES });
  return async (authorization) => {
    const token = bearerToken(authorization);
    let claimed: unknown;
    try {
      claimed = (await verify(token)).user_id;
    } catch {
      throw ServiceError.unauthorized();
    }
    // RuoYi writes `user_id` as text and reads it with int(); anything else is no RuoYi token.
    const tokenUserId = typeof claimed === 'string' || typeof claimed === 'number' ? String(claimed) : '';
    if (!/^\d{1,19}$/.test(tokenUserId)) throw ServiceError.unauthorized();
    return cached(token, async () => identityFromAnswer(await askRuoyi(settings, token), tokenUserId));
  };
};
