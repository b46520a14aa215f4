import { REDACTED_BYTES } from './redact.js';

/**
 * Finds the secrets that terraform cut across two lines of a provisioner's output, which the byte
 * redactor cannot see (docs/design.md "Log redaction").
 *
 * Terraform reads a provisioner's output with go-linereader, which also ends a line when no byte came
 * for 100 ms: on a loaded machine a printed secret is cut in two, each part on its own line behind the
 * provisioner's prefix (`<addr> (local-exec): ` in text output, a `provision_progress` message with
 * `hook.output` in `-json` output), the first part with its trailing whitespace trimmed. This stage sits
 * before the byte redactor: it joins the consecutive lines of one provisioner of one resource (other
 * lines may come between them) and replaces each part of a secret spanning them with `***`.
 *
 * It works on whole lines, so it holds back an incomplete line, and a line whose end is the start of a
 * secret (at least MIN_HELD_HEAD bytes of it) until that provisioner's next line decides it. A shorter
 * start is let through so that ordinary lines are never delayed, and the rest of the secret on the next
 * line is still removed. Nothing waits longer than MAX_HELD_LINES lines or past `end()`.
 */

/** A line ending in fewer bytes of a secret goes out at once (that much of the secret may show). */
const MIN_HELD_HEAD = 4;
/** A provisioner's next line may come this many lines later (other resources' output between); then the held line goes. */
const MAX_HELD_LINES = 100;
/** A line longer than this is not a provisioner's (its chunks arrive in at most 4 KiB); it passes as it is. */
const MAX_LINE_BYTES = 64 * 1024;

const TEXT_PREFIX = /^[^\n]*? \([a-z][a-z0-9_-]*\): /;

interface ProvisionProgress {
  '@message'?: unknown;
  hook?: { resource?: { addr?: unknown }; provisioner?: unknown; output?: unknown };
}

interface OutputLine {
  /** The line without its line end. */
  raw: Buffer;
  /** Which provisioner of which resource printed it; undefined for any other line. */
  source?: string;
  /** What the provisioner printed on this line. */
  content: Buffer;
  /** The `-json` message it came in. */
  message?: ProvisionProgress;
  /** Ranges of `content` to replace, as `start:end`. */
  cuts: Set<string>;
  /** Every secret that could start on this line is decided. */
  settled: boolean;
  emitted: boolean;
}

/** A provisioner's line in either output format, or a plain line. */
function parseLine(raw: Buffer): OutputLine {
  const line: OutputLine = { raw, content: raw, cuts: new Set(), settled: false, emitted: false };
  if (raw[0] === 0x7b) {
    const text = raw.toString('utf8');
    if (!text.includes('"provision_progress"')) return line;
    let message: ProvisionProgress;
    try {
      message = JSON.parse(text) as ProvisionProgress;
    } catch {
      return line;
    }
    const hook = message.hook;
    if (typeof hook?.output !== 'string' || typeof hook.resource?.addr !== 'string' || typeof hook.provisioner !== 'string') return line;
    return { ...line, source: `${hook.resource.addr}\u0000${hook.provisioner}`, content: Buffer.from(hook.output), message };
  }
  const prefix = TEXT_PREFIX.exec(raw.toString('latin1'))?.[0];
  if (prefix === undefined) return line;
  return { ...line, source: prefix, content: raw.subarray(prefix.length) };
}

const isSpace = (byte: number | undefined) => byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);

/** `content` with each (merged) range replaced by REDACTED. */
function withCuts(content: Buffer, cuts: Set<string>): Buffer {
  const ranges = [...cuts].map((cut) => cut.split(':').map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
  const out: Buffer[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    if (start >= at) out.push(content.subarray(at, start), REDACTED_BYTES);
    at = end;
  }
  out.push(content.subarray(at));
  return Buffer.concat(out);
}

function render(line: OutputLine): Buffer {
  if (line.cuts.size === 0) return line.raw;
  const content = withCuts(line.content, line.cuts);
  if (!line.message) return Buffer.concat([line.raw.subarray(0, line.raw.length - line.content.length), content]);
  const before = line.content.toString('utf8');
  const after = content.toString('utf8');
  const hook = { ...line.message.hook, output: after };
  const text = line.message['@message'];
  const message = typeof text === 'string' && text.endsWith(before) ? text.slice(0, text.length - before.length) + after : text;
  return Buffer.from(JSON.stringify({ ...line.message, '@message': message, hook }));
}

type Match = { cuts: Array<[line: number, start: number, end: number]> } | { open: number } | undefined;

export class SplitLineRedactor {
  private partial = Buffer.alloc(0);
  /** Lines not yet emitted, and the emitted ones a secret may still start on. */
  private lines: OutputLine[] = [];
  /** Inside a line too long to be a provisioner's: it passes through up to its end. */
  private passing = false;

  /** `patterns` gives the secrets' forms as the byte redactor has them. */
  constructor(private readonly patterns: () => readonly Buffer[]) {}

  /** The lines that are decided so far. */
  write(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let data = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    if (this.passing) {
      const end = data.indexOf(0x0a);
      out.push(data.subarray(0, end === -1 ? data.length : end + 1));
      if (end === -1) {
        this.partial = Buffer.alloc(0);
        return Buffer.concat(out);
      }
      this.passing = false;
      data = data.subarray(end + 1);
    }
    let start = 0;
    for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
      this.lines.push(parseLine(Buffer.from(data.subarray(start, end))));
      start = end + 1;
    }
    this.partial = Buffer.from(data.subarray(start));
    out.push(this.release(false));
    if (this.partial.length > MAX_LINE_BYTES) {
      out.push(this.release(true), this.partial);
      this.partial = Buffer.alloc(0);
      this.passing = true;
    }
    return Buffer.concat(out);
  }

  /** Everything still held: the output is over. */
  end(): Buffer {
    const out = Buffer.concat([this.release(true), this.partial]);
    this.partial = Buffer.alloc(0);
    return out;
  }

  /** Decides what it can and returns the lines before the first one still held, each with its line end. */
  private release(final: boolean): Buffer {
    const patterns = this.patterns();
    let held = this.lines.length;
    for (let i = 0; i < this.lines.length; i++) {
      const line = this.lines[i] as OutputLine;
      if (line.settled || line.source === undefined) continue;
      const waited = this.lines.length - 1 - i;
      let longestOpen = 0;
      for (const pattern of patterns) {
        // A secret that fits on this line from its start is the byte redactor's.
        for (let start = Math.max(0, line.content.length - pattern.length + 1); start < line.content.length; start++) {
          const match = this.matchFrom(pattern, i, start);
          if (match && 'cuts' in match) for (const [at, from, to] of match.cuts) this.lines[at]?.cuts.add(`${from}:${to}`);
          else if (match) longestOpen = Math.max(longestOpen, match.open);
        }
      }
      line.settled = final || longestOpen === 0 || waited >= MAX_HELD_LINES;
      if (!line.settled && longestOpen >= MIN_HELD_HEAD && !line.emitted) held = Math.min(held, i);
    }
    const out: Buffer[] = [];
    for (const line of this.lines.slice(0, held)) {
      if (line.emitted) continue;
      out.push(render(line), Buffer.from('\n'));
      line.emitted = true;
    }
    // An emitted line is kept only while a secret starting on or before it is undecided.
    const firstOpen = this.lines.findIndex((line) => !line.settled && line.source !== undefined);
    this.lines = this.lines.slice(Math.min(held, firstOpen === -1 ? held : firstOpen));
    return Buffer.concat(out);
  }

  /**
   * Whether `pattern` starts at `start` of line `index` and continues over that provisioner's next
   * lines (each part after whitespace its previous line lost): the ranges to cut, or, when the lines
   * so far end inside it, how many of its bytes they hold.
   */
  private matchFrom(pattern: Buffer, index: number, start: number, matched = 0, cuts: Array<[number, number, number]> = []): Match {
    const line = this.lines[index] as OutputLine;
    let at = start;
    let next = matched;
    while (next < pattern.length && at < line.content.length) {
      if (line.content[at] !== pattern[next]) return undefined;
      at++;
      next++;
    }
    const found = [...cuts, [index, start, at] as [number, number, number]];
    if (next === pattern.length) return { cuts: found };
    const following = this.lines.findIndex((other, i) => i > index && other.source === line.source);
    if (following === -1) return { open: next };
    // The line end may have cut a run of whitespace anywhere; the next part starts after what was trimmed.
    let open: Match;
    for (let skip = next; ; skip++) {
      if (skip === pattern.length) return { cuts: found };
      const match = this.matchFrom(pattern, following, 0, skip, found);
      if (match && 'cuts' in match) return match;
      open ??= match;
      if (!isSpace(pattern[skip])) return open;
    }
  }
}
