import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai/core/error';
import { UpstreamResponseFailed } from './responses.ts';

/** What the user reads when the model call fails: readable, never the provider's own text. */
export const UPSTREAM_MSG = {
  timeout: '模型响应超时，请稍后重试',
  unreachable: '无法连接模型服务，请检查 Base URL',
  auth: '模型服务认证失败，请检查API密钥',
  rateLimited: '模型服务请求过于频繁，请稍后重试',
  rejected: '模型服务拒绝了请求，请检查模型配置',
  unavailable: '模型服务暂时不可用，请稍后重试',
  interrupted: '模型服务连接中断',
} as const;

export const upstreamErrorMessage = (err: unknown): string => {
  if (err instanceof APIConnectionTimeoutError) return UPSTREAM_MSG.timeout;
  if (err instanceof APIConnectionError) return UPSTREAM_MSG.unreachable;
  if (err instanceof APIError && err.status !== undefined) {
    if (err.status === 401 || err.status === 403) return UPSTREAM_MSG.auth;
    if (err.status === 429) return UPSTREAM_MSG.rateLimited;
    if (err.status >= 400 && err.status < 500) return UPSTREAM_MSG.rejected;
    return UPSTREAM_MSG.unavailable;
  }
  if (err instanceof APIError || err instanceof UpstreamResponseFailed) return UPSTREAM_MSG.unavailable;
  return UPSTREAM_MSG.interrupted;
};

const MAX_LOGGED_TEXT = 300;

/**
 * What the log may keep about a failed call: kind, status, the provider's code and a
 * short message with the key cut out (providers echo a rejected key back, partly or whole).
 */
export const upstreamErrorForLog = (err: unknown, apiKey: string): Record<string, unknown> => {
  const redact = (text: string) => (apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text).slice(0, MAX_LOGGED_TEXT);
  if (!(err instanceof Error)) return { kind: typeof err };
  const api = err instanceof APIError ? err : undefined;
  return {
    kind: err.name || err.constructor.name,
    ...(api?.status === undefined ? {} : { status: api.status }),
    ...(typeof api?.code === 'string' ? { code: redact(api.code) } : {}),
    message: redact(err.message),
    ...(err.cause instanceof Error ? { cause: redact(`${err.cause.name}: ${err.cause.message}`) } : {}),
  };
};
