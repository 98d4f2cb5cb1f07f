import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a model's base URL may never reach: loopback, private, shared (CGNAT),
 * link-local (the instance metadata service lives there), multicast, documentation,
 * benchmarking, reserved and unspecified. Public addresses are everything else.
 */
const V4_RANGES: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const V6_RANGES: readonly [string, number][] = [
  // Unspecified, loopback and the deprecated IPv4-compatible block that contains both.
  ['::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['3fff::', 20],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const hex16 = (a: number, b: number) => ((a << 8) | b).toString(16);

/**
 * IPv6 prefixes that carry an IPv4 address, so a blocked IPv4 range is blocked in each
 * of these spellings too: mapped (::ffff:a.b.c.d; BlockList already folds this one, kept
 * for clarity), translated (::ffff:0:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) at bit 96, and
 * 6to4 (2002:aabb:ccdd::) at bit 16.
 */
const embeddedV4 = (address: string, prefix: number): [string, number][] => {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  const low = `${hex16(a, b)}:${hex16(c, d)}`;
  return [
    [`::ffff:${low}`, 96 + prefix],
    [`::ffff:0:${low}`, 96 + prefix],
    [`64:ff9b::${low}`, 96 + prefix],
    [`2002:${low}::`, 16 + prefix],
  ];
};

const blocked = new BlockList();
for (const [address, prefix] of V4_RANGES) {
  blocked.addSubnet(address, prefix, 'ipv4');
  for (const [v6, v6Prefix] of embeddedV4(address, prefix)) blocked.addSubnet(v6, v6Prefix, 'ipv6');
}
for (const [address, prefix] of V6_RANGES) blocked.addSubnet(address, prefix, 'ipv6');

/** True when `address` (an IP literal) is anything but a public unicast address; unreadable counts as blocked. */
export const isBlockedAddress = (address: string): boolean => {
  const version = isIP(address);
  if (!version) return true;
  try {
    return blocked.check(address, version === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return true;
  }
};
