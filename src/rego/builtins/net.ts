/** net.cidr_* built-ins over IPv4 and IPv6 addresses held as bigints. */
import { BuiltinError } from '../errors.js';
import { RegoObject, RegoSet, type Value } from '../value.js';
import { register, str } from './registry.js';

interface Network {
  v6: boolean;
  /** The address as given (host bits kept). */
  addr: bigint;
  prefix: number;
}

const bits = (v6: boolean) => (v6 ? 128 : 32);

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    out = (out << 8n) | BigInt(p);
  }
  return out;
}

function parseIPv6(text: string): bigint | undefined {
  if (!text.includes(':')) return undefined;
  let s = text;
  let tail: bigint[] = [];
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIPv4(v4[1]!);
    if (n === undefined) return undefined;
    tail = [n >> 16n, n & 0xffffn];
    s = `${s.slice(0, v4.index)}:`;
    if (s.endsWith('::')) s = `${s}`;
    else s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const words: bigint[] = [];
  for (const g of [...head, ...rest]) if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
  const total = head.length + rest.length + tail.length;
  if (halves.length === 1 && total !== 8) return undefined;
  if (halves.length === 2 && total > 7) return undefined;
  words.push(...head.map((g) => BigInt(`0x${g}`)));
  for (let i = 0; i < 8 - total; i++) if (halves.length === 2) words.push(0n);
  words.push(...rest.map((g) => BigInt(`0x${g}`)), ...tail);
  return words.reduce((acc, w) => (acc << 16n) | w, 0n);
}

function parseAddress(text: string): { v6: boolean; addr: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { v6: false, addr: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { v6: true, addr: v6 };
  return undefined;
}

function parseCIDR(text: string): Network {
  const slash = text.indexOf('/');
  if (slash < 0) throw new BuiltinError(`invalid CIDR address: ${text}`);
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d+$/.test(prefixText) || Number(prefixText) > bits(address.v6)) throw new BuiltinError(`invalid CIDR address: ${text}`);
  return { ...address, prefix: Number(prefixText) };
}

/** A CIDR or a single address (as a /32 or /128). */
function parseCIDROrIP(text: string): Network {
  if (text.includes('/')) return parseCIDR(text);
  const address = parseAddress(text);
  if (!address) throw new BuiltinError(`invalid CIDR address: ${text}`);
  return { ...address, prefix: bits(address.v6) };
}

function mask(n: Network): bigint {
  const total = bits(n.v6);
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - n.prefix)) - 1n);
}

const first = (n: Network) => n.addr & mask(n);
const last = (n: Network) => first(n) | ((1n << BigInt(bits(n.v6) - n.prefix)) - 1n);

function contains(outer: Network, inner: Network): boolean {
  if (outer.v6 !== inner.v6) return false;
  return first(inner) >= first(outer) && last(inner) <= last(outer);
}

function formatAddress(addr: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((addr >> s) & 255n)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => Number((addr >> BigInt((7 - i) * 16)) & 0xffffn));
  // RFC 5952: the longest run (at least two) of zero words becomes ::.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

register('net.cidr_contains', 2, (args) => contains(parseCIDR(str(args, 0)), parseCIDROrIP(str(args, 1))));
register('net.cidr_intersects', 2, (args) => {
  const a = parseCIDR(str(args, 0));
  const b = parseCIDR(str(args, 1));
  if (a.v6 !== b.v6) return false;
  return first(a) <= last(b) && first(b) <= last(a);
});
register('net.cidr_overlap', 2, (args) => contains(parseCIDR(str(args, 0)), parseCIDROrIP(str(args, 1))));
register('net.cidr_is_valid', 1, ([v]) => {
  if (typeof v !== 'string') return false;
  try {
    parseCIDR(v);
    return true;
  } catch {
    return false;
  }
});
register('net.cidr_expand', 1, (args) => {
  const n = parseCIDR(str(args, 0));
  const count = last(n) - first(n) + 1n;
  if (count > 65536n) throw new BuiltinError('CIDR too large to expand');
  const out = new RegoSet();
  for (let a = first(n); a <= last(n); a++) out.add(formatAddress(a, n.v6));
  return out;
});

register('net.cidr_merge', 1, (args) => {
  const input = args[0]!;
  const list = Array.isArray(input) ? input : input instanceof RegoSet ? input.values() : undefined;
  if (!list) throw new BuiltinError(`operand 1 must be one of {array, set} but got ${typeof input}`, true);
  const nets: Network[] = list.map((v) => {
    if (typeof v !== 'string') throw new BuiltinError('operand 1 must be array of strings', true);
    if (!v.includes('/')) {
      const a = parseAddress(v);
      if (!a) throw new BuiltinError(`invalid CIDR address: ${v}`);
      if (a.v6) throw new BuiltinError('IPv6 invalid: needs prefix length');
      // Go's IP.DefaultMask: the classful mask (A /8, B /16, C /24).
      const top = Number(a.addr >> 24n);
      const prefix = top < 128 ? 8 : top < 192 ? 16 : top < 224 ? 24 : 32;
      return { ...a, prefix };
    }
    return parseCIDR(v);
  });
  const merged: string[] = [];
  for (const v6 of [false, true]) {
    // Ranges, sorted and coalesced, then split back into the fewest CIDR blocks.
    const ranges = nets
      .filter((n) => n.v6 === v6)
      .map((n) => [first(n), last(n)] as [bigint, bigint])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const coalesced: [bigint, bigint][] = [];
    for (const r of ranges) {
      const prev = coalesced[coalesced.length - 1];
      if (prev && r[0] <= prev[1] + 1n) {
        if (r[1] > prev[1]) prev[1] = r[1];
      } else coalesced.push([r[0], r[1]]);
    }
    const total = bits(v6);
    for (const [lo, hi] of coalesced) {
      let start = lo;
      while (start <= hi) {
        let size = 0;
        while (size < total) {
          const next = size + 1;
          const blockMask = (1n << BigInt(next)) - 1n;
          if ((start & blockMask) !== 0n || start + blockMask > hi) break;
          size = next;
        }
        merged.push(`${formatAddress(start, v6)}/${total - size}`);
        start += 1n << BigInt(size);
      }
    }
  }
  return merged;
});

/** The (key, cidr) pairs of a cidr_contains_matches operand. */
function matchOperand(v: Value, operand: number): [Value, string][] {
  const element = (key: Value, e: Value): [Value, string] => {
    if (typeof e === 'string') return [key, e];
    if (Array.isArray(e) && e.length > 0 && typeof e[0] === 'string') return [key, e[0]];
    throw new BuiltinError(`operand ${operand}: element must be string or non-empty array`);
  };
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return v.map((e, i) => element(i, e));
  if (v instanceof RegoSet) return v.values().map((e) => element(e, e));
  if (v instanceof RegoObject) return v.entries().map(([k, e]) => element(k, e));
  throw new BuiltinError(`operand ${operand} must be one of {string, array, set, object}`, true);
}

register('net.cidr_contains_matches', 2, ([a, b]) => {
  const cidrs = matchOperand(a!, 1);
  const targets = matchOperand(b!, 2);
  const out = new RegoSet();
  for (const [ck, c] of cidrs) {
    const outer = parseCIDR(c);
    for (const [tk, t] of targets) if (contains(outer, parseCIDROrIP(t))) out.add([ck, tk]);
  }
  return out;
});
