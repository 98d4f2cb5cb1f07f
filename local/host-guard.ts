import type { LocalRoute } from './server.ts';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The `Host` values the local server answers: the loopback names with its port (bare too
 * on port 80, where browsers leave the port out) and the host of its public URL.
 */
export const allowedHosts = (port: number, publicUrl: string): Set<string> => {
  const hosts = LOOPBACK_NAMES.flatMap((name) => (port === 80 ? [name, `${name}:${port}`] : [`${name}:${port}`]));
  hosts.push(new URL(publicUrl).host);
  return new Set(hosts.map((host) => host.toLowerCase()));
};

/**
 * Refuses a request for any other host before routing (421): a DNS-rebinding page on a
 * name that resolves to 127.0.0.1 is same-origin with itself, not with this server, and
 * must not read `/config.json` (it holds the signed-in token) or call the API through it.
 * `allowed` is read per request, so the server can listen before its port is known;
 * empty, it refuses everything.
 */
export const createHostGuard = (allowed: ReadonlySet<string>): LocalRoute => (req, res) => {
  if (allowed.has((req.headers.host ?? '').toLowerCase())) return false;
  res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('unknown Host: this server answers only its own names');
  return true;
};
