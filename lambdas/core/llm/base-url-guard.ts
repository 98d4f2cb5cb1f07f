import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ServiceError } from '../errors/service-error.ts';
import { isBlockedAddress } from './blocked-addresses.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has; injectable so tests can stub DNS. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * A base URL that passed the guard. `addresses` are the checked addresses the
 * connection must use (so a second DNS answer cannot swap in another one); absent
 * for a host the deployment allows by name, which connects as usual.
 */
export interface CheckedTarget {
  url: URL;
  addresses?: ResolvedAddress[];
}

/** Host as compared everywhere: no IPv6 brackets, no trailing dot, lower case (URL already lowers it). */
export const normalHost = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost') || host === 'local' || host.endsWith('.local');

const family = (address: string): 4 | 6 => (isIP(address) === 6 ? 6 : 4);

export interface GuardOptions {
  allowlist: readonly string[];
  resolve: HostResolver;
}

/**
 * The SSRF guard for model base URLs. The WHATWG parser has already turned decimal,
 * octal, hex and short IPv4 spellings into dotted quads and IPv6 into canonical form,
 * so the checks below see one spelling per address.
 */
export const checkBaseUrl = async (baseUrl: string, options: GuardOptions): Promise<CheckedTarget> => {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw ServiceError.service(REFUSAL_MSG.badUrl);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) throw ServiceError.service(REFUSAL_MSG.badUrl);
  const host = normalHost(url);
  if (!host) throw ServiceError.service(REFUSAL_MSG.badUrl);
  if (options.allowlist.includes(host)) return { url };
  if (isLocalName(host)) throw ServiceError.service(REFUSAL_MSG.privateTarget);

  if (isIP(host)) {
    if (isBlockedAddress(host)) throw ServiceError.service(REFUSAL_MSG.privateTarget);
    return { url, addresses: [{ address: host, family: family(host) }] };
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await options.resolve(host);
  } catch {
    throw ServiceError.service(REFUSAL_MSG.unresolvedHost);
  }
  if (!addresses.length) throw ServiceError.service(REFUSAL_MSG.unresolvedHost);
  if (addresses.some((a) => isBlockedAddress(a.address))) throw ServiceError.service(REFUSAL_MSG.privateTarget);
  return { url, addresses };
};

/**
 * Remembers checked answers for a short while: a DNS round trip on every message would
 * sit on the time to first token, and the answer is pinned, so reusing it stays safe.
 */
export const cachingResolver = (resolve: HostResolver, ttlMs: number, now = Date.now): HostResolver => {
  const cache = new Map<string, { at: number; answer: Promise<ResolvedAddress[]> }>();
  return (hostname) => {
    const hit = cache.get(hostname);
    if (hit && now() - hit.at < ttlMs) return hit.answer;
    const answer = resolve(hostname);
    cache.set(hostname, { at: now(), answer });
    answer.catch(() => {
      if (cache.get(hostname)?.answer === answer) cache.delete(hostname);
    });
    if (cache.size > 256) cache.delete(cache.keys().next().value!);
    return answer;
  };
};
