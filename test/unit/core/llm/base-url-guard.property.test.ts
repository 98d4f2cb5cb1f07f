import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBaseUrl, type HostResolver } from '../../../../lambdas/core/llm/base-url-guard.ts';
import { REFUSAL_MSG } from '../../../../lambdas/core/wire/messages.ts';

const NO_DNS: HostResolver = async () => {
  throw new Error('an address literal needs no DNS');
};
const check = (url: string, resolve: HostResolver = NO_DNS) => checkBaseUrl(url, { allowlist: [], resolve });

/** Private, loopback, link-local, CGNAT, multicast and reserved blocks, each as [first octets, prefix length]. */
const BLOCKED_V4: [number[], number][] = [
  [[0], 8],
  [[10], 8],
  [[100, 64], 10],
  [[127], 8],
  [[169, 254], 16],
  [[172, 16], 12],
  [[192, 168], 16],
  [[198, 18], 15],
  [[224], 4],
  [[240], 4],
];

const toInt = (octets: number[]) => octets.reduce((n, o) => n * 256 + o, 0);

/** Any address inside one of the blocks, as a 32-bit number. */
const blockedV4 = fc.constantFrom(...BLOCKED_V4).chain(([start, prefix]) => {
  const base = toInt([...start, 0, 0, 0, 0].slice(0, 4));
  return fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => base + offset);
});

/** Addresses in blocks with nothing special in them (documentation-free public space). */
const publicV4 = fc
  .tuple(fc.constantFrom(8, 9, 23, 34, 52, 93, 104, 151), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map(([a, b, c, d]) => toInt([a, b, c, d]));

const octetsOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** Ways to write one IPv4 address that a URL parser reads as that address. */
const spellings = (n: number): string[] => {
  const [a, b, c, d] = octetsOf(n) as [number, number, number, number];
  const v6 = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return [
    `${a}.${b}.${c}.${d}`,
    String(n),
    `0x${n.toString(16)}`,
    `0${n.toString(8)}`,
    `0x${a.toString(16)}.0${b.toString(8)}.${c}.0x${d.toString(16).toUpperCase()}`,
    `${a}.${(b << 16) | (c << 8) | d}`,
    `${a}.${b}.${(c << 8) | d}`,
    `${a}.${b}.${c}.${d}.`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${v6}]`,
    `[0:0:0:0:0:ffff:${v6}]`,
    `[64:ff9b::${v6}]`,
  ];
};

describe('the base-URL guard over generated spellings', () => {
  it('refuses every spelling of every address in a blocked range, before any connection', async () => {
    await fc.assert(
      fc.asyncProperty(blockedV4, fc.constantFrom('http', 'https'), fc.option(fc.integer({ min: 1, max: 65535 })), async (n, scheme, port) => {
        for (const host of spellings(n)) {
          const url = `${scheme}://${host}${port === null ? '' : `:${port}`}/v1`;
          await expect(check(url), url).rejects.toMatchObject({ message: REFUSAL_MSG.privateTarget });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lets public addresses through, whatever the spelling, pinned to the one address', async () => {
    await fc.assert(
      fc.asyncProperty(publicV4, async (n) => {
        const dotted = octetsOf(n).join('.');
        for (const host of spellings(n).slice(0, 8)) {
          const target = await check(`https://${host}/v1`);
          expect(target.addresses, host).toEqual([{ address: dotted, family: 4 }]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a host name when any one of its DNS answers is blocked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(publicV4, { maxLength: 3 }), blockedV4, fc.nat(3), async (good, bad, at) => {
        const answers = [...good.map((n) => octetsOf(n).join('.'))];
        answers.splice(at % (answers.length + 1), 0, octetsOf(bad).join('.'));
        const resolve: HostResolver = async () => answers.map((address) => ({ address, family: 4 }));
        await expect(check('https://api.example.com/v1', resolve)).rejects.toMatchObject({ message: REFUSAL_MSG.privateTarget });
      }),
    );
  });
});
