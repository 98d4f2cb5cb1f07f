import type { LocalRoute } from './server.ts';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host name of a `Host` header value, without its port; undefined when it is no host. */
const hostName = (host: string): string | undefined => {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
};

/**
 * Whether the local server answers a `Host`: a loopback name on any port (a reverse proxy
 * in front of it may pass its own, as RuoYi's nginx does with `Host $host`), or the host of
 * its public URL. A rebinding page always names a host of its own, never a loopback name.
 */
export const hostAllowed = (host: string | undefined, publicUrl: string): boolean => {
  if (!host) return false;
  const name = hostName(host.toLowerCase());
  return name !== undefined && (LOOPBACK_NAMES.has(name) || host.toLowerCase() === new URL(publicUrl).host.toLowerCase());
};

/**
 * Refuses a request for any other host before routing (421): a DNS-rebinding page on a
 * name that resolves to 127.0.0.1 is same-origin with itself, not with this server, and
 * must not read `/config.json` (it holds the signed-in token) or call the API through it.
 * `publicUrl` is read per request, so the server can listen before its URL is known;
 * until then only loopback names pass.
 */
export const createHostGuard =
  (publicUrl: () => string): LocalRoute =>
  (req, res) => {
    if (hostAllowed(req.headers.host, publicUrl())) return false;
    res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('unknown Host: this server answers only its own names');
    return true;
  };
