/**
 * Per-key IP allowlists: CIDR blocks of either family, matched with node's BlockList (which also
 * matches IPv4-mapped IPv6 addresses such as `::ffff:10.0.0.1` against IPv4 blocks).
 */
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128); throws on anything else. */
export function parseCidr(text: string): Cidr {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) throw new Error(`invalid CIDR: ${text}`);
  const version = isIP(address);
  if (version === 0) throw new Error(`invalid CIDR address: ${text}`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw new Error(`invalid CIDR prefix: ${text}`);
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) throw new Error(`CIDR prefix above ${max}: ${text}`);
  return { address, prefix, family };
}

/** Drops an IPv6 zone id (`fe80::1%eth0`), which BlockList does not accept. */
function stripZone(ip: string): string {
  const at = ip.indexOf('%');
  return at === -1 ? ip : ip.slice(0, at);
}

export type IpMatcher = (ip: string) => boolean;

/** Compiles an allowlist; an empty list allows every address. Unparseable client IPs never match. */
export function compileAllowlist(cidrs: readonly string[]): IpMatcher {
  if (cidrs.length === 0) return () => true;
  const list = new BlockList();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return (ip) => {
    const bare = stripZone(ip);
    const version = isIP(bare);
    if (version === 0) return false;
    return list.check(bare, version === 4 ? 'ipv4' : 'ipv6');
  };
}

const compiled = new WeakMap<readonly string[], IpMatcher>();

/** compileAllowlist, memoised per list object so cached key records compile once. */
export function allowlistMatcher(cidrs: readonly string[]): IpMatcher {
  let matcher = compiled.get(cidrs);
  if (!matcher) {
    matcher = compileAllowlist(cidrs);
    compiled.set(cidrs, matcher);
  }
  return matcher;
}
