import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
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

const HOST = /^[a-z0-9.:-]+$/;

/** An allowlist entry as `normalHost` spells hosts, so it compares equal to the URL's. */
export const plainHost = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');

/** Addresses that are this machine or its link: the Lambda runtime API listens on loopback, the metadata service on link-local. */
const OWN_HOST_RANGES: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];
const ownHost = new BlockList();
for (const [address, prefix, type] of OWN_HOST_RANGES) ownHost.addSubnet(address, prefix, type);

/**
 * Why a deployed stack may not let `host` through the guard by name, or undefined when it
 * may. Private hosts are what an allowlist is for (a model inside the VPC or the company's
 * network); loopback, link-local and unspecified addresses and `localhost` names never
 * are, whatever the allowlist says in AWS: they reach the function's own sandbox.
 */
export const allowlistRefusal = (host: string): string | undefined => {
  const plain = plainHost(host);
  if (!HOST.test(plain) || (plain.includes(':') && !isIP(plain))) return 'must be a host name or an IP address (no scheme, port or path)';
  if (plain === 'localhost' || plain.endsWith('.localhost')) return 'names this machine';
  const version = isIP(plain);
  if (version && ownHost.check(plain, version === 4 ? 'ipv4' : 'ipv6')) return 'is a loopback, link-local or unspecified address';
  return undefined;
};

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
