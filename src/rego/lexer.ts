import { RegoError } from './errors.js';

export type TokenKind = 'ident' | 'number' | 'string' | 'template' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text for idents, numbers and punctuation. */
  text: string;
  /** The decoded value of a string. */
  value?: string;
  /** Template strings: literal parts and the tokens of each `{…}` expression. */
  parts?: (string | Token[])[];
  row: number;
  col: number;
  /** A line break came between the previous token and this one: it ends an expression. */
  newlineBefore: boolean;
}

const PUNCTUATION = [':=', '==', '!=', '<=', '>=', '{', '}', '[', ']', '(', ')', '.', ',', ';', ':', '=', '<', '>', '+', '-', '*', '/', '%', '&', '|'];

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

class Lexer {
  private pos = 0;
  private row = 1;
  private col = 1;

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {}

  private error(message: string): RegoError {
    return new RegoError('rego_parse_error', message, { file: this.file, row: this.row, col: this.col });
  }

  private advance(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.src[this.pos] === '\n') {
        this.row++;
        this.col = 1;
      } else this.col++;
      this.pos++;
    }
  }

  /** Skips blanks and comments; reports whether a line break was skipped. */
  private skipSpace(): boolean {
    let newline = false;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === '\n') {
        newline = true;
        this.advance();
      } else if (c === ' ' || c === '\t' || c === '\r') this.advance();
      else if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.advance();
      } else break;
    }
    return newline;
  }

  /** All tokens; with `untilBrace`, stops at the `}` closing a template expression (consumed). */
  tokens(untilBrace = false): Token[] {
    const out: Token[] = [];
    let depth = 0;
    for (;;) {
      const newlineBefore = this.skipSpace();
      const row = this.row;
      const col = this.col;
      if (this.pos >= this.src.length) {
        if (untilBrace) throw this.error('unterminated template expression');
        out.push({ kind: 'eof', text: '', row, col, newlineBefore });
        return out;
      }
      const c = this.src[this.pos]!;
      if (untilBrace && c === '}' && depth === 0) {
        this.advance();
        out.push({ kind: 'eof', text: '', row, col, newlineBefore });
        return out;
      }
      if (isIdentStart(c)) {
        let end = this.pos + 1;
        while (end < this.src.length && (isIdentStart(this.src[end]!) || isDigit(this.src[end]!))) end++;
        const text = this.src.slice(this.pos, end);
        this.advance(end - this.pos);
        out.push({ kind: 'ident', text, row, col, newlineBefore });
        continue;
      }
      if (isDigit(c) || (c === '.' && isDigit(this.src[this.pos + 1] ?? ''))) {
        const match = /^(?:0|[1-9][0-9]*)?(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.src.slice(this.pos));
        const text = match?.[0] ?? '';
        if (!text) throw this.error('illegal number format');
        this.advance(text.length);
        if (isIdentStart(this.src[this.pos] ?? '') || isDigit(this.src[this.pos] ?? '')) throw this.error('illegal number format');
        out.push({ kind: 'number', text, row, col, newlineBefore });
        continue;
      }
      if (c === '"') {
        out.push({ kind: 'string', text: '', value: this.quotedString(), row, col, newlineBefore });
        continue;
      }
      if (c === '`') {
        this.advance();
        const end = this.src.indexOf('`', this.pos);
        if (end < 0) throw this.error('non-terminated raw string');
        const value = this.src.slice(this.pos, end);
        this.advance(end + 1 - this.pos);
        out.push({ kind: 'string', text: '', value, row, col, newlineBefore });
        continue;
      }
      if (c === '$' && (this.src[this.pos + 1] === '"' || this.src[this.pos + 1] === '`')) {
        const raw = this.src[this.pos + 1] === '`';
        this.advance(2);
        out.push({ kind: 'template', text: '', parts: this.templateParts(raw), row, col, newlineBefore });
        continue;
      }
      const punct = PUNCTUATION.find((p) => this.src.startsWith(p, this.pos));
      if (!punct) throw this.error(`illegal token '${c}'`);
      if (punct === '{') depth++;
      if (punct === '}') depth--;
      this.advance(punct.length);
      out.push({ kind: 'punct', text: punct, row, col, newlineBefore });
    }
  }

  private quotedString(): string {
    const start = this.pos;
    this.advance();
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === '\\') this.advance(2);
      else if (c === '"') {
        this.advance();
        const text = this.src.slice(start, this.pos);
        try {
          return JSON.parse(text) as string;
        } catch {
          throw this.error('illegal string escape');
        }
      } else if (c === '\n') throw this.error('non-terminated string');
      else this.advance();
    }
    throw this.error('non-terminated string');
  }

  private templateParts(raw: boolean): (string | Token[])[] {
    const close = raw ? '`' : '"';
    const parts: (string | Token[])[] = [];
    let literal = '';
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === close) {
        this.advance();
        if (literal || parts.length === 0) parts.push(literal);
        return parts;
      }
      if (c === '\\' && this.src[this.pos + 1] === '{') {
        literal += '{';
        this.advance(2);
      } else if (c === '\\' && !raw) {
        const next = this.src[this.pos + 1] ?? '';
        let text = `\\${next}`;
        if (next === 'u') text = this.src.slice(this.pos, this.pos + 6);
        try {
          literal += JSON.parse(`"${text}"`) as string;
        } catch {
          throw this.error('illegal string escape');
        }
        this.advance(text.length);
      } else if (c === '{') {
        this.advance();
        if (literal) parts.push(literal);
        literal = '';
        parts.push(this.tokens(true));
      } else if (c === '\n' && !raw) throw this.error('non-terminated string');
      else {
        literal += c;
        this.advance();
      }
    }
    throw this.error('non-terminated string');
  }
}

export function tokenize(src: string, file: string): Token[] {
  return new Lexer(src, file).tokens();
}
