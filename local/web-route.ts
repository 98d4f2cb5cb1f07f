import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { LocalRoute } from './server.ts';
import { contentSecurityPolicy } from './web-policy.ts';

/** What the page starts with: written to `/config.json`, which the page reads first. */
export interface WebDefaults {
  apiBaseUrl: string;
  streamUrl: string;
  /** A dev token, filled into the sign-in so the page works right after `npm start`. */
  token: string;
}

export interface WebRouteOptions {
  /** The built page (web/dist, see build-web.ts). */
  distDir: string;
  defaults: WebDefaults;
  /** Origins the page's images come from besides its own (the local server's public URL). */
  imageOrigins?: string[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const BASE_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
// Asset names carry a content hash; the page and its config must always be fetched fresh.
const cacheControl = (path: string) => (path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');

/** The file under distDir a URL path names, or undefined when it would leave distDir or is malformed. */
export const resolveWebPath = (distDir: string, pathname: string): string | undefined => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const root = resolve(distDir);
  const file = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
  const inside = relative(root, file);
  const outside = !inside || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  return outside ? undefined : file;
};

const isFile = async (path: string) => {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
};

/**
 * Serves the built web page at `/` and its assets, and `/config.json` with the local
 * defaults. Only GET/HEAD outside `/ai/` are considered; a path with no file falls
 * through to the other routes (so the API keeps its own 404s).
 */
export const createWebRoute = (options: WebRouteOptions): LocalRoute => {
  const config = JSON.stringify(options.defaults);
  const headers = { ...BASE_HEADERS, 'content-security-policy': contentSecurityPolicy(options.imageOrigins) };
  return async (req, res, url) => {
    const method = req.method ?? 'GET';
    if ((method !== 'GET' && method !== 'HEAD') || url.pathname.startsWith('/ai/')) return false;
    if (url.pathname === '/config.json') {
      res.writeHead(200, { ...headers, 'content-type': CONTENT_TYPES['.json'], 'cache-control': 'no-store' });
      res.end(method === 'HEAD' ? undefined : config);
      return true;
    }
    const file = resolveWebPath(options.distDir, url.pathname);
    if (!file) {
      res.writeHead(404, { ...headers, 'content-type': CONTENT_TYPES['.txt'] }).end('not found');
      return true;
    }
    if (!(await isFile(file))) {
      if (url.pathname !== '/') return false;
      res.writeHead(503, { ...headers, 'content-type': CONTENT_TYPES['.txt'] });
      res.end('The web page is not built yet: run `npx tsx local/build-web.ts`.');
      return true;
    }
    const inside = relative(resolve(options.distDir), file).split('\\').join('/');
    res.writeHead(200, {
      ...headers,
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': cacheControl(inside),
    });
    if (method === 'HEAD') {
      res.end();
      return true;
    }
    await new Promise<void>((done, fail) => {
      createReadStream(file).on('error', fail).on('end', done).pipe(res);
    });
    return true;
  };
};
