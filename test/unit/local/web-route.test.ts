import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebRoute, resolveWebPath } from '../../../local/web-route.ts';

const DEFAULTS = { apiBaseUrl: 'http://127.0.0.1:9', streamUrl: 'http://127.0.0.1:9/ai/chat/send', token: 'dev-token' };

let root: string;
let dist: string;
let server: Server;
let base: string;

/** Raw HTTP, so the path reaches the server exactly as written (fetch would normalise `..`). */
const get = (path: string, method = 'GET') =>
  new Promise<{ status: number; type: string; cache: string; body: string }>((done, fail) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, type: String(res.headers['content-type']), cache: String(res.headers['cache-control']), body }));
    });
    req.on('error', fail).end();
  });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'web-route-'));
  dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(root, 'secret.txt'), 'outside');
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(dist, 'assets', 'app-ABC.js'), 'console.log(1)');
  await writeFile(join(dist, 'assets', 'app-ABC.css'), 'body{}');
  const route = createWebRoute({ distDir: dist, defaults: DEFAULTS });
  server = createServer(async (req, res) => {
    if (!(await route(req, res, new URL(req.url ?? '/', 'http://local')))) res.writeHead(418).end('fell through');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(root, { recursive: true, force: true });
});

describe('web route', () => {
  it('serves the page at / with its content type, never cached', async () => {
    const res = await get('/');
    expect(res).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache' });
    expect(res.body).toContain('<title>page</title>');
  });

  it('serves hashed assets with their content types, cached for good', async () => {
    expect(await get('/assets/app-ABC.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log(1)' });
    const css = await get('/assets/app-ABC.css');
    expect(css).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(css.cache).toContain('immutable');
  });

  it('answers HEAD without a body', async () => {
    expect(await get('/assets/app-ABC.js', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('injects the local defaults as /config.json', async () => {
    const res = await get('/config.json');
    expect(res).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', cache: 'no-store' });
    expect(JSON.parse(res.body)).toEqual(DEFAULTS);
  });

  it.each(['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/%00', '/%E0%A4%A'])(
    'refuses %s without reading outside the folder',
    async (path) => {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('outside');
    },
  );

  it('leaves the API, other methods and unknown paths to the other routes', async () => {
    expect((await get('/ai/model/all')).status).toBe(418);
    expect((await get('/', 'POST')).status).toBe(418);
    expect((await get('/nope.js')).status).toBe(418);
    expect((await get('/assets')).status).toBe(418);
  });

  it('resolves paths only inside the dist folder', () => {
    expect(resolveWebPath(dist, '/')).toBe(join(dist, 'index.html'));
    expect(resolveWebPath(dist, '/assets/app-ABC.js')).toBe(join(dist, 'assets', 'app-ABC.js'));
    expect(resolveWebPath(dist, '/../secret.txt')).toBeUndefined();
  });
});

describe('web route before the page is built', () => {
  it('says how to build it', async () => {
    const route = createWebRoute({ distDir: join(root, 'missing'), defaults: DEFAULTS });
    const local = createServer(async (req, res) => {
      if (!(await route(req, res, new URL(req.url ?? '/', 'http://local')))) res.writeHead(418).end();
    });
    await new Promise<void>((done) => local.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(local.address() as { port: number }).port}/`;
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('build-web.ts');
    await new Promise((done) => local.close(done));
  });
});
