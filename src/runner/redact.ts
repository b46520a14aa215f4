/**
 * Removes secrets from a stream of log output: the run's token and the values of its sensitive
 * variables, in every form a value takes in terraform's output (docs/design.md "Log redaction"):
 *
 * - as written (provisioner output, text logs);
 * - inside a JSON string as Go's encoding/json writes it, HTML-safe (`&` → `\u0026`, `<` → `\u003c`,
 *   `>` → `\u003e`, U+2028/U+2029, control characters, invalid UTF-8 → `\ufffd`): terraform's `-json`
 *   lines, which the CLI decodes back to the plain value; and as JavaScript's JSON.stringify writes it;
 * - quoted as the CLI renders a string value (Go's `%q`, strconv.Quote: `\"`, `\\`, `\n`, `\x00`, `\u00a0` …),
 *   and that rendering inside a `-json` line (a diagnostic's message);
 * - a JSON string inside a JSON string (a `jsonencode`d value in a `-json` line);
 * - each line of 8 bytes or more of a multi-line value, since the CLI and provisioners print such
 *   a value line by line.
 *
 * The redactor works on bytes, so whatever else the output holds (invalid UTF-8 included) passes
 * through unchanged. It holds back at most the longest encoded secret's length − 1 bytes (plus an
 * incomplete UTF-8 character at the very end), so that a secret split across chunks is still caught,
 * and what it returns never ends inside a UTF-8 character. Its output does not depend on how the input
 * was chunked: a position is decided only once every secret that could start there is visible.
 *
 * @example
 * const redactor = new Redactor();
 * redactor.add([token, ...sensitiveValues]);
 * for await (const chunk of output) store(redactor.write(chunk));
 * store(redactor.end());
 */
export const REDACTED = '***';

export const REDACTED_BYTES = Buffer.from(REDACTED);

/** Lines of a multi-line secret shorter than this are too common (`}`, blank lines) to redact everywhere. */
const MIN_LINE_BYTES = 8;

const HEX = '0123456789abcdef';

/** One UTF-8 sequence at `i` as Go's utf8.DecodeRune reads it: the code point, or -1 for an invalid byte (width 1). */
function decodeRune(bytes: Buffer, i: number): { rune: number; width: number } {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return { rune: b0, width: 1 };
  const width = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (width === 0 || i + width > bytes.length) return { rune: -1, width: 1 };
  // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
  const b1 = bytes[i + 1] as number;
  const [low, high] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
  if (b1 < low || b1 > high) return { rune: -1, width: 1 };
  let rune = b0 & (width === 2 ? 0x1f : width === 3 ? 0x0f : 0x07);
  for (let k = 1; k < width; k++) {
    const b = bytes[i + k] as number;
    if ((b & 0xc0) !== 0x80) return { rune: -1, width: 1 };
    rune = (rune << 6) | (b & 0x3f);
  }
  return { rune, width };
}

const hex2 = (n: number) => `${HEX[n >> 4]}${HEX[n & 0xf]}`;
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** The inside of a JSON string as Go's encoding/json writes it (Go ≥ 1.22), HTML-safe unless `html` is false. */
export function goJsonString(bytes: Buffer, html = true): Buffer {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const { rune, width } = decodeRune(bytes, i);
    const raw = bytes.subarray(i, i + width).toString('utf8');
    i += width;
    if (rune === -1) out += '\\ufffd';
    else if (rune === 0x22 || rune === 0x5c) out += `\\${String.fromCharCode(rune)}`;
    else if (rune === 0x08) out += '\\b';
    else if (rune === 0x0c) out += '\\f';
    else if (rune === 0x0a) out += '\\n';
    else if (rune === 0x0d) out += '\\r';
    else if (rune === 0x09) out += '\\t';
    else if (rune < 0x20 || (html && (rune === 0x3c || rune === 0x3e || rune === 0x26))) out += `\\u00${hex2(rune)}`;
    else if (rune === 0x2028 || rune === 0x2029) out += `\\u${hex4(rune)}`;
    else out += raw;
  }
  return Buffer.from(out);
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES = new Map([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
]);

/** The inside of Go's `%q` (strconv.Quote), which the CLI uses to render a string value in a plan or a diagnostic. */
export function goQuoted(bytes: Buffer): Buffer {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const { rune, width } = decodeRune(bytes, i);
    const raw = bytes.subarray(i, i + width).toString('utf8');
    i += width;
    if (rune === -1) out += `\\x${hex2(bytes[i - 1] as number)}`;
    else if (rune === 0x22 || rune === 0x5c) out += `\\${raw}`;
    // strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    else if (rune === 0x20 || PRINTABLE.test(raw)) out += raw;
    else if (SHORT_ESCAPES.has(rune)) out += SHORT_ESCAPES.get(rune);
    else if (rune < 0x20 || rune === 0x7f) out += `\\x${hex2(rune)}`;
    else if (rune < 0x10000) out += `\\u${hex4(rune)}`;
    else out += `\\U${rune.toString(16).padStart(8, '0')}`;
  }
  return Buffer.from(out);
}

/** Every form `value` can take in a log, as bytes, without duplicates. */
export function encodings(value: string): Buffer[] {
  const plain = Buffer.from(value);
  const forms = [
    plain,
    goJsonString(plain),
    goJsonString(plain, false),
    Buffer.from(JSON.stringify(value).slice(1, -1)),
    goQuoted(plain),
    goJsonString(goQuoted(plain)),
    goJsonString(goJsonString(plain)),
  ];
  const unique = new Map<string, Buffer>();
  for (const form of forms) unique.set(form.toString('latin1'), form);
  return [...unique.values()];
}

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/** Where an incomplete UTF-8 sequence at the end of `bytes` starts, or `bytes.length` when it ends whole. */
function incompleteTail(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const byte = bytes[i] as number;
    if (isContinuation(byte)) continue;
    const width = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + width > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}

export class Redactor {
  /** Longest first: a secret that contains another is removed whole. */
  private patterns: Buffer[] = [];
  private held: Buffer = Buffer.alloc(0);

  /** Every form of every secret, longest first. */
  get forms(): readonly Buffer[] {
    return this.patterns;
  }

  /** Registers secrets (empty ones are ignored); output written from now on is redacted. */
  add(values: Iterable<string>): void {
    const all = new Map(this.patterns.map((pattern) => [pattern.toString('latin1'), pattern]));
    for (const value of values) {
      if (value === '') continue;
      const lines = value.includes('\n') ? value.split('\n').filter((line) => Buffer.byteLength(line) >= MIN_LINE_BYTES) : [];
      for (const form of [value, ...lines].flatMap(encodings)) all.set(form.toString('latin1'), form);
    }
    this.patterns = [...all.values()].sort((a, b) => b.length - a.length);
  }

  /** The redacted output that is decided so far; the rest waits for the next chunk or `end`. */
  write(chunk: Buffer | string): Buffer {
    const data = this.held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.held, Buffer.from(chunk)]);
    return this.scan(data, false);
  }

  /** Everything still held back, redacted: the stream is over. */
  end(): Buffer {
    return this.scan(this.held, true);
  }

  private scan(data: Buffer, isFinal: boolean): Buffer {
    const longest = this.patterns[0]?.length ?? 0;
    // A match may start before `decided` only if it is wholly in `data`: those positions are final.
    const decided = isFinal ? data.length : Math.max(0, data.length - Math.max(longest - 1, 0));
    const next = this.patterns.map((pattern) => data.indexOf(pattern));
    const out: Buffer[] = [];
    let emitted = 0;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.patterns.length; i++) {
        if ((next[i] as number) !== -1 && (next[i] as number) < emitted) next[i] = data.indexOf(this.patterns[i] as Buffer, emitted);
        const at = next[i] as number;
        // Ties go to the longer pattern, which comes first.
        if (at !== -1 && at < decided && (best === -1 || at < (next[best] as number))) best = i;
      }
      if (best === -1) break;
      const start = next[best] as number;
      out.push(data.subarray(emitted, start), REDACTED_BYTES);
      emitted = start + (this.patterns[best] as Buffer).length;
    }
    let keepFrom = Math.max(emitted, decided);
    if (!isFinal) {
      // No secret starts inside a character: its continuation bytes go out with it.
      while (keepFrom < data.length && isContinuation(data[keepFrom])) keepFrom++;
      if (keepFrom === data.length) keepFrom = Math.max(emitted, incompleteTail(data));
    }
    out.push(data.subarray(emitted, keepFrom));
    this.held = Buffer.from(data.subarray(keepFrom));
    return Buffer.concat(out);
  }
}
