import { createHash, createHmac } from 'node:crypto';
import type { Credentials } from './dynamodb-http.ts';

export interface SignedRequest {
  method: string;
  /** Already in canonical form: `/` for the JSON APIs, Lambda's invoke path with a plain function name. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');

let lastKey: { scope: string; key: Buffer } | undefined;

/**
 * The key for a day's scope is the same for every request that day: derived once (four
 * HMACs) and reused, as the SDK's signer caches it, until the day, region, service or
 * secret changes.
 */
const signingKey = (secret: string, day: string, region: string, service: string): Buffer => {
  const scope = `${secret}\n${day}\n${region}\n${service}`;
  if (lastKey?.scope !== scope) lastKey = { scope, key: hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request') };
  return lastKey.key;
};

/** `2015-08-30T12:36:00.000Z` → `20150830T123600Z` */
const amzDate = (at: Date) => at.toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * AWS Signature Version 4 for a request without a query string: every header given is
 * signed, with `x-amz-date` (and the session token, when there is one) added. Returns
 * the headers to send. The SDK's signer does the same, but its package pulls a large
 * part of the SDK's protocol code into the bundle that a cold start loads.
 */
export const signRequest = (request: SignedRequest, credentials: Credentials, region: string, service: string, now = new Date()): Record<string, string> => {
  const date = amzDate(now);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
  headers['x-amz-date'] = date;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonical = [request.method, request.path, '', ...names.map((name) => `${name}:${headers[name]}`), '', signedHeaders, sha256Hex(request.body)].join(
    '\n',
  );
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const key = signingKey(credentials.secretAccessKey, day, region, service);
  const signature = createHmac('sha256', key)
    .update(['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonical)].join('\n'))
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
};
