import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuoyiImageReader, type RuoyiImageReader } from '../../../../lambdas/core/images/ruoyi-image-reader.ts';
import { sniffImageType } from '../../../../lambdas/core/images/image-policy.ts';

/**
 * The RuoYi image reader against a plain HTTP server playing RuoYi's file routes and
 * the ways an answer can be wrong (a proxy's redirect, an error page, a huge or
 * never-ending body, silence).
 */

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');
const HTML = Buffer.from('<html><body>login</body></html>');
const MAX = 1024;
const FILE_ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

const seen: { path: string; authorization: string | undefined }[] = [];
let endless = { written: 0, closed: false };
let server: ReturnType<typeof createServer>;
let reader: RuoyiImageReader;
let apiUrl: string;

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/profile/upload/a.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG),
  [`/common/files/${FILE_ID}/download/b.jpg`]: (req, res) => {
    // RuoYi's refusal is an envelope with HTTP 200, which only the type and the bytes give away.
    if (req.headers.authorization !== 'Bearer owner') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":500,"msg":"文件不存在或无权访问"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(JPEG);
  },
  '/profile/upload/moved.png': (_req, res) => res.writeHead(302, { location: '/prod-api/profile/upload/a.png' }).end(),
  '/profile/upload/page.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(HTML),
  '/profile/upload/note.txt': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
  '/profile/upload/missing.png': (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found'),
  '/profile/upload/big.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([PNG, Buffer.alloc(MAX)])),
  '/profile/upload/endless.png': (_req, res) => {
    // No length announced and no end: only the reader stopping ends this answer.
    res.writeHead(200, { 'content-type': 'image/png' });
    res.on('close', () => (endless.closed = true));
    const chunk = Buffer.concat([PNG, Buffer.alloc(64 * 1024 - PNG.length)]);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) endless.written += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  },
  '/profile/upload/silent.png': () => {},
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/prod-api/, '');
    seen.push({ path, authorization: req.headers.authorization });
    const route = routes[path];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod-api`;
  reader = createRuoyiImageReader({ apiUrl, timeoutMs: 60_000 });
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const read = (path: string, authorization: string | undefined = 'Bearer owner', maxBytes = MAX) => reader.read(path, { authorization, maxBytes });

describe('RuoYi image reader', () => {
  it("reads a public upload with the caller's own header, typed by its bytes", async () => {
    expect(await read('/profile/upload/a.png')).toEqual({ image: { contentType: 'image/png', bytes: PNG } });
    expect(seen.at(-1)).toEqual({ path: '/profile/upload/a.png', authorization: 'Bearer owner' });
  });

  it('reads a registered file served as octet-stream when RuoYi lets the caller have it', async () => {
    expect(await read(`/common/files/${FILE_ID}/download/b.jpg`)).toEqual({ image: { contentType: 'image/jpeg', bytes: JPEG } });
  });

  it('refuses what RuoYi refuses: its 200 envelope is not an image', async () => {
    expect(await read(`/common/files/${FILE_ID}/download/b.jpg`, 'Bearer someone-else')).toEqual({ refused: 'type' });
    expect(await reader.read(`/common/files/${FILE_ID}/download/b.jpg`, { authorization: undefined, maxBytes: MAX })).toEqual({ refused: 'type' });
    expect(seen.at(-1)!.authorization).toBeUndefined();
  });

  it('does not follow a redirect, not even to RuoYi itself', async () => {
    const before = seen.length;
    expect(await read('/profile/upload/moved.png')).toEqual({ refused: 'redirect' });
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/profile/upload/moved.png']);
  });

  it('refuses other statuses, other types, and bytes that are no image whatever the type says', async () => {
    expect(await read('/profile/upload/missing.png')).toEqual({ refused: 'status' });
    expect(await read('/profile/upload/note.txt')).toEqual({ refused: 'type' });
    expect(await read('/profile/upload/page.png')).toEqual({ refused: 'not-image' });
  });

  it("refuses a file over the caller's limit, announced or not, and stops reading a body that never ends", async () => {
    expect(await read('/profile/upload/big.png')).toEqual({ refused: 'too-large' });
    expect(await read('/profile/upload/big.png', 'Bearer owner', MAX + PNG.length)).toMatchObject({ image: { contentType: 'image/png' } });

    endless = { written: 0, closed: false };
    expect(await read('/profile/upload/endless.png')).toEqual({ refused: 'too-large' });
    await expect.poll(() => endless.closed).toBe(true);
  });

  it('gives up on a RuoYi that does not answer in time, and on one that is not there', async () => {
    const impatient = createRuoyiImageReader({ apiUrl, timeoutMs: 100 });
    expect(await impatient.read('/profile/upload/silent.png', { authorization: undefined, maxBytes: MAX })).toEqual({ refused: 'timeout' });

    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const gone = createRuoyiImageReader({ apiUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
    expect(await gone.read('/profile/upload/a.png', { authorization: undefined, maxBytes: MAX })).toEqual({ refused: 'unreachable' });
  });

  it("never leaves RuoYi's origin, whatever the path", async () => {
    const before = seen.length;
    expect(await read('@example.com/profile/upload/a.png')).toEqual({ refused: 'outside-origin' });
    expect(seen.length).toBe(before);
  });
});

describe('image signatures', () => {
  it.each([
    ['png', PNG, 'image/png'],
    ['jpeg', JPEG, 'image/jpeg'],
    ['gif87a', Buffer.from('GIF87a\u0001\u0000'), 'image/gif'],
    ['gif89a', Buffer.from('GIF89a\u0001\u0000'), 'image/gif'],
    ['webp', Buffer.from('RIFF\u0010\u0000\u0000\u0000WEBPVP8 '), 'image/webp'],
    ['bmp', Buffer.from('BM\u0000\u0000\u0000\u0000'), undefined],
    ['a riff that is not webp', Buffer.from('RIFF\u0010\u0000\u0000\u0000WAVEfmt '), undefined],
    ['html', HTML, undefined],
    ['a truncated png', PNG.subarray(0, 5), undefined],
    ['nothing', Buffer.alloc(0), undefined],
  ])('%s', (_name, bytes, type) => {
    expect(sniffImageType(bytes)).toBe(type);
  });
});
