/** UUIDs: uuid.rfc4122 (random, one per key within an evaluation) and uuid.parse (google/uuid's reading). */
import { randomUUID } from 'node:crypto';
import { RegoObject, type Value } from '../value.js';
import { register, str } from './registry.js';

register('uuid.rfc4122', 1, (args, ctx) => {
  const key = `uuid.rfc4122:${str(args, 0)}`;
  let uuid = ctx.cache.get(key) as string | undefined;
  if (uuid === undefined) {
    uuid = randomUUID();
    ctx.cache.set(key, uuid);
  }
  return uuid;
});

/** The 16 bytes of a UUID in one of the forms google/uuid reads: plain, `{…}`, `urn:uuid:…`, or 32 hex digits. */
function uuidBytes(text: string): Buffer | undefined {
  let s = text;
  if (s.length === 45 && s.toLowerCase().startsWith('urn:uuid:')) s = s.slice(9);
  else if (s.length === 38 && s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.length === 36) {
    if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return undefined;
    s = s.replaceAll('-', '');
  }
  if (!/^[0-9a-fA-F]{32}$/.test(s)) return undefined;
  return Buffer.from(s, 'hex');
}

function variantOf(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

/** 100-ns intervals between 1582-10-15 and 1970-01-01. */
const GREGORIAN_TO_UNIX = 122192928000000000n;
const DOMAINS = ['Person', 'Group', 'Org'];

register('uuid.parse', 1, ([v]) => {
  if (typeof v !== 'string') return undefined;
  const bytes = uuidBytes(v);
  if (!bytes) return undefined;
  const version = (bytes[6] as number) >> 4;
  const fields: [string, Value][] = [
    ['version', version],
    ['variant', variantOf(bytes[8] as number)],
  ];
  if (version === 1 || version === 2) {
    const ticks = BigInt(bytes.readUInt32BE(0)) | (BigInt(bytes.readUInt16BE(4)) << 32n) | (BigInt(bytes.readUInt16BE(6) & 0xfff) << 48n);
    const nanos = (ticks - GREGORIAN_TO_UNIX) * 100n;
    const node = bytes.subarray(10, 16);
    const first = node[0] as number;
    fields.push(
      ['time', Number.isSafeInteger(Number(nanos)) ? Number(nanos) : nanos],
      ['clocksequence', bytes.readUInt16BE(8) & 0x3fff],
      ['nodeid', [...node].map((b) => b.toString(16).padStart(2, '0')).join('-')],
      ['macvariables', `${first & 2 ? 'local' : 'global'}:${first & 1 ? 'multicast' : 'unicast'}`],
    );
    if (version === 2) {
      const domain = bytes[9] as number;
      fields.push(['id', bytes.readUInt32BE(0)], ['domain', DOMAINS[domain] ?? `Domain${domain}`]);
    }
  }
  return RegoObject.from(fields);
});
