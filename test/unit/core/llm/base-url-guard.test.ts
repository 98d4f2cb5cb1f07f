import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowlistRefusal,
  cachingResolver,
  checkBaseUrl,
  plainHost,
  type HostResolver,
  type ResolvedAddress,
} from '../../../../lambdas/core/llm/base-url-guard.ts';
import { isBlockedAddress } from '../../../../lambdas/core/llm/blocked-addresses.ts';
import { createPinnedFetch } from '../../../../lambdas/core/llm/pinned-fetch.ts';
import { REFUSAL_MSG } from '../../../../lambdas/core/wire/messages.ts';

/** A stub DNS: names map to fixed answers; anything else does not resolve. */
const dns =
  (answers: Record<string, string[]>): HostResolver =>
  async (host) => {
    const found = answers[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const PUBLIC_DNS = dns({
  'api.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'rebind.example.com': ['127.0.0.1'],
  'mixed.example.com': ['93.184.216.34', '10.1.2.3'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'empty.example.com': [],
});

const check = (url: string, allowlist: string[] = []) => checkBaseUrl(url, { allowlist, resolve: PUBLIC_DNS });

describe('the base-URL guard', () => {
  it('accepts a public host and pins every address it resolved to', async () => {
    const target = await check('https://api.example.com/v1');
    expect(target.url.href).toBe('https://api.example.com/v1');
    expect(target.addresses).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
    expect((await check('http://8.8.8.8:8080/v1')).addresses).toEqual([{ address: '8.8.8.8', family: 4 }]);
  });

  it.each(['ftp://api.example.com/v1', 'file:///etc/passwd', 'javascript:alert(1)', 'api.example.com/v1', '', 'http://'])(
    'refuses %j as not an http(s) URL with a host',
    async (url) => {
      await expect(check(url)).rejects.toThrow(REFUSAL_MSG.badUrl);
    },
  );

  it.each([
    'http://localhost:11434/v1',
    'http://LOCALHOST./v1',
    'http://api.localhost/v1',
    'http://printer.local/v1',
    'http://127.0.0.1/v1',
    'http://127.1/v1',
    'http://2130706433/v1',
    'http://0177.0.0.1/v1',
    'http://0x7f000001/v1',
    'http://0x7f.0.0.1/v1',
    'http://[::1]/v1',
    'http://[::]/v1',
    'http://0.0.0.0/v1',
    'http://0/v1',
    'http://[::ffff:127.0.0.1]/v1',
    'http://[0:0:0:0:0:ffff:7f00:1]/v1',
    'http://[::ffff:0:7f00:1]/v1',
    'http://[64:ff9b::7f00:1]/v1',
    'http://[2002:7f00:1::]/v1',
    'http://10.0.0.1/v1',
    'http://172.16.5.4/v1',
    'http://192.168.1.1/v1',
    'http://100.64.0.1/v1',
    'http://169.254.169.254/latest/meta-data',
    'http://[fe80::1]/v1',
    'http://[fd00::1]/v1',
    'http://[ff02::1]/v1',
    'http://224.0.0.1/v1',
    'http://240.0.0.1/v1',
    'http://255.255.255.255/v1',
    'http://192.0.2.1/v1',
    'http://198.18.0.1/v1',
    'http://[2001:db8::1]/v1',
  ])('refuses %s', async (url) => {
    await expect(check(url)).rejects.toThrow(REFUSAL_MSG.privateTarget);
  });

  it.each(['rebind.example.com', 'mixed.example.com', 'metadata.example.com', 'mapped.example.com'])(
    'refuses %s: one of its resolved addresses is not public',
    async (host) => {
      await expect(check(`https://${host}/v1`)).rejects.toThrow(REFUSAL_MSG.privateTarget);
    },
  );

  it('refuses a name that does not resolve', async () => {
    await expect(check('https://nowhere.example.com/v1')).rejects.toThrow(REFUSAL_MSG.unresolvedHost);
    await expect(check('https://empty.example.com/v1')).rejects.toThrow(REFUSAL_MSG.unresolvedHost);
  });

  it('lets hosts on the allowlist through by name, and only those', async () => {
    expect(await check('http://localhost:11434/v1', ['localhost'])).toEqual({ url: new URL('http://localhost:11434/v1') });
    expect((await check('http://127.0.0.1:8000/v1', ['127.0.0.1'])).addresses).toBeUndefined();
    expect((await check('http://[::1]:8000/v1', ['::1'])).addresses).toBeUndefined();
    await expect(check('http://127.0.0.2/v1', ['127.0.0.1'])).rejects.toThrow(REFUSAL_MSG.privateTarget);
    await expect(check('http://rebind.example.com/v1', ['127.0.0.1'])).rejects.toThrow(REFUSAL_MSG.privateTarget);
  });

  it('keeps public addresses public', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      expect(isBlockedAddress(address)).toBe(false);
    }
    expect(isBlockedAddress('not an address')).toBe(true);
  });
});

describe('what a deployed stack may allow by name (allowlistRefusal)', () => {
  it('admits private hosts, the point of an allowlist inside a VPC or a company network', async () => {
    for (const host of ['10.0.5.20', '172.16.0.9', '192.168.1.2', '100.64.0.1', 'fd00::5', 'llm.corp.local', 'vllm.internal.example.com']) {
      expect(allowlistRefusal(host), host).toBeUndefined();
    }
    // Allowed, such a host is let through as the guard lets the local model server through.
    expect((await check('http://10.0.5.20:8000/v1', [plainHost('10.0.5.20')])).addresses).toBeUndefined();
    await expect(check('http://10.0.5.21:8000/v1', [plainHost('10.0.5.20')])).rejects.toThrow(REFUSAL_MSG.privateTarget);
  });

  it('refuses the function’s own sandbox in every spelling: loopback, link-local, unspecified, localhost names', () => {
    for (const host of [
      '127.0.0.1',
      '127.9.9.9',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '169.254.169.254',
      'fe80::1',
      '0.0.0.0',
      '::',
      'localhost',
      'LOCALHOST.',
      'x.localhost',
    ]) {
      expect(allowlistRefusal(host), host).toMatch(/loopback|this machine/);
    }
    expect(allowlistRefusal('https://llm.example.com')).toMatch(/no scheme/);
    expect(allowlistRefusal('llm.example.com:8000')).toMatch(/no scheme, port/);
  });
});

describe('the caching resolver', () => {
  it('asks DNS once per host within its lifetime, again after it, and never keeps a failure', async () => {
    let now = 0;
    const asked: string[] = [];
    let fail = true;
    const resolver = cachingResolver(
      async (host) => {
        asked.push(host);
        if (fail) throw new Error('SERVFAIL');
        return [{ address: '93.184.216.34', family: 4 }];
      },
      1000,
      () => now,
    );
    await expect(resolver('a.example.com')).rejects.toThrow('SERVFAIL');
    fail = false;
    await resolver('a.example.com');
    await resolver('a.example.com');
    expect(asked).toEqual(['a.example.com', 'a.example.com']);
    now = 1500;
    await resolver('a.example.com');
    expect(asked).toHaveLength(3);
  });
});

describe('the pinned fetch', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.headers.host} ${req.url}`);
      if (req.url === '/v1/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });

  it('connects to the checked address whatever the name resolves to now', async () => {
    // The name does not exist in DNS: reaching the server proves the connection used the pinned address.
    const target = { url: new URL(`http://model.invalid:${port}/v1`), addresses: [{ address: '127.0.0.1', family: 4 as const }] };
    const res = await createPinnedFetch(target)(`http://model.invalid:${port}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(hits.at(-1)).toBe(`model.invalid:${port} /v1/chat/completions`);
  });

  it('refuses a request outside the checked origin and does not follow redirects', async () => {
    const target = { url: new URL(`http://model.invalid:${port}/v1`), addresses: [{ address: '127.0.0.1', family: 4 as const }] };
    const pinned = createPinnedFetch(target);
    await expect(pinned('http://169.254.169.254/latest/meta-data')).rejects.toThrow('outside the checked base URL');
    const hitsBefore = hits.length;
    const res = await pinned(`http://model.invalid:${port}/v1/redirect`);
    expect(res.status).toBe(302);
    expect(hits.length).toBe(hitsBefore + 1);
  });
});
