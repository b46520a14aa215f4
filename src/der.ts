/**
 * The little of ASN.1 DER that a certificate needs (src/tls.ts): encoding the few types an X.509
 * certificate is made of, and reading the top-level elements of a SEQUENCE.
 */

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let left = length; left > 0; left = Math.floor(left / 256)) bytes.unshift(left % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element: its tag, its length and its content. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
export const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
export const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
export const booleanTrue = Buffer.from([0x01, 0x01, 0xff]);
export const nullValue = Buffer.from([0x05, 0x00]);
/** `[n] EXPLICIT`: the element wrapped in a constructed context tag. */
export const explicit = (n: number, element: Buffer): Buffer => tlv(0xa0 | n, element);

/** A non-negative INTEGER from its big-endian bytes, minimally encoded (a leading 0 where the top bit is set). */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, ((trimmed[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let left = Math.floor(arc / 128); left > 0; left = Math.floor(left / 128)) base128.unshift((left & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A BIT STRING of whole bytes. */
export function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.from([0]), bytes);
}

/** A BIT STRING of named bits (bit 0 is the first byte's top bit), its unused trailing bits counted. */
export function namedBits(bitNumbers: readonly number[]): Buffer {
  const bytes = Buffer.alloc(Math.floor(Math.max(...bitNumbers) / 8) + 1);
  for (const bit of bitNumbers) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  const last = bytes[bytes.length - 1] as number;
  let unused = 0;
  while (unused < 7 && (last & (1 << unused)) === 0) unused += 1;
  return tlv(0x03, Buffer.from([unused]), bytes);
}

/** UTCTime through 2049, GeneralizedTime from 2050, as RFC 5280 requires; to the second, in UTC. */
export function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

/** The elements of the SEQUENCE `der` begins with, each whole (tag and length included). */
export function sequenceElements(der: Buffer): Buffer[] {
  const outer = readElement(der, 0);
  if (der[0] !== 0x30) throw new Error('not a DER SEQUENCE');
  const elements: Buffer[] = [];
  for (let at = outer.contentStart; at < outer.end; ) {
    const element = readElement(der, at);
    elements.push(der.subarray(at, element.end));
    at = element.end;
  }
  return elements;
}

function readElement(der: Buffer, at: number): { contentStart: number; end: number } {
  const first = der[at + 1];
  if (first === undefined) throw new Error('DER ends early');
  let length = first;
  let contentStart = at + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[contentStart + i] as number);
    contentStart += count;
  }
  if (contentStart + length > der.length) throw new Error('DER ends early');
  return { contentStart, end: contentStart + length };
}
