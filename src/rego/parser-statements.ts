import type { Expr, ExprBody, Import, Location, Module, Rule, RuleHead, Term, WithModifier } from './ast.js';
import { RegoError } from './errors.js';
import type { Token } from './lexer.js';

const KEYWORDS = new Set(['as', 'contains', 'default', 'else', 'every', 'false', 'if', 'import', 'in', 'not', 'null', 'package', 'some', 'true', 'with']);

export interface TermOptions {
  /** Stop before `|`: the first term of `[x | body]` and `{x | body}`. */
  noOr?: boolean;
  /** Stop before `in`: the terms of `some x in xs` and `every x in xs`. */
  noIn?: boolean;
}

/** The token cursor and the statements of Rego: modules, imports, rules, bodies and expressions. */
export abstract class StatementParser {
  protected i = 0;

  constructor(
    private readonly tokens: Token[],
    protected readonly file: string,
  ) {}

  protected get tok(): Token {
    return this.tokens[this.i]!;
  }

  protected peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }

  protected loc(token: Token = this.tok): Location {
    return { file: this.file, row: token.row, col: token.col };
  }

  error(message: string, token: Token = this.tok): RegoError {
    return new RegoError('rego_parse_error', message, this.loc(token));
  }

  protected describe(token: Token): string {
    if (token.kind === 'eof') return 'eof token';
    if (token.kind === 'ident') return KEYWORDS.has(token.text) ? `${token.text} keyword` : `ident token`;
    if (token.kind === 'string' || token.kind === 'template') return 'string token';
    if (token.kind === 'number') return 'number token';
    return `${token.text} token`;
  }

  atEof(): boolean {
    return this.tok.kind === 'eof';
  }

  protected next(): Token {
    const token = this.tok;
    if (token.kind !== 'eof') this.i++;
    return token;
  }

  protected isPunct(text: string, token: Token = this.tok): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  protected expectPunct(text: string): Token {
    if (!this.isPunct(text)) throw this.error(`unexpected ${this.describe(this.tok)}: expected ${text}`);
    return this.next();
  }

  /** A keyword directly followed by `.` (as in `if.foo`) is a name, not the keyword. */
  protected isKeyword(word: string, token: Token = this.tok): boolean {
    if (token.kind !== 'ident' || token.text !== word) return false;
    const after = this.tokens[this.tokens.indexOf(token) + 1];
    return !(after && after.kind === 'punct' && after.text === '.' && after.row === token.row && after.col === token.col + token.text.length);
  }

  protected expectIdent(): Token {
    if (this.tok.kind !== 'ident') throw this.error(`unexpected ${this.describe(this.tok)}: expected ident`);
    return this.next();
  }

  packageRow = 0;

  parseModule(): Module {
    if (!this.isKeyword('package')) throw this.error('package expected');
    this.packageRow = this.tok.row;
    this.next();
    const packagePath = this.parsePackagePath();
    const imports: Import[] = [];
    const rules: Rule[] = [];
    while (this.isKeyword('import')) {
      const loc = this.loc();
      this.next();
      const path = this.parseTerm({});
      let alias: string | undefined;
      if (this.isKeyword('as')) {
        this.next();
        alias = this.expectIdent().text;
      }
      imports.push({ path, alias, loc });
    }
    while (this.tok.kind !== 'eof') {
      if (this.isKeyword('import')) throw this.error('unexpected import keyword');
      if (this.isKeyword('package')) throw this.error('unexpected package keyword');
      rules.push(this.parseRule());
    }
    return { file: this.file, packagePath, imports, rules };
  }

  private parsePackagePath(): string[] {
    const path = [this.expectIdent().text];
    for (;;) {
      if (this.isPunct('.') && !this.tok.newlineBefore) {
        this.next();
        path.push(this.expectIdent().text);
      } else if (this.isPunct('[') && !this.tok.newlineBefore) {
        this.next();
        const key = this.next();
        if (key.kind !== 'string') throw this.error('unexpected package path', key);
        path.push(key.value!);
        this.expectPunct(']');
      } else return path;
    }
  }

  private parseRule(): Rule {
    const start = this.tok;
    const loc = this.loc();
    let isDefault = false;
    if (this.isKeyword('default')) {
      isDefault = true;
      this.next();
    }
    const ref = this.parseHeadRef();
    const head: RuleHead = { ref, assign: false };
    if (this.isPunct('(') && !this.tok.newlineBefore) {
      this.next();
      head.args = this.parseTermList(')');
    }
    if (this.isKeyword('contains') && !this.tok.newlineBefore) {
      this.next();
      head.member = this.parseTerm({});
    }
    if ((this.isPunct(':=') || this.isPunct('=')) && !this.tok.newlineBefore) {
      head.assign = this.next().text === ':=';
      head.value = this.parseTerm({});
    }
    const rule: Rule = { head, body: [], isDefault, elses: [], loc, v0SetHead: false };
    if (isDefault) {
      if (!head.value) throw this.error('default rules must have a value', start);
      return rule;
    }
    const { body, usedIf } = this.parseRuleBody(!head.value && !head.member);
    rule.body = body;
    if (!usedIf && body.length > 0 && !head.value && !head.member && ref.length > 1 && ref[ref.length - 1]!.type !== 'scalar') rule.v0SetHead = true;
    while (this.isKeyword('else')) {
      const elseLoc = this.loc();
      this.next();
      let value: Term | undefined;
      if (this.isPunct(':=') || this.isPunct('=')) {
        this.next();
        value = this.parseTerm({});
      }
      rule.elses.push({ value, body: this.parseRuleBody(true).body, loc: elseLoc });
    }
    return rule;
  }

  /** `if { … }`, `if expr`, `{ … }` (v0) or nothing: an empty body is always true. */
  private parseRuleBody(allowBareBlock: boolean): { body: Expr[]; usedIf: boolean } {
    if (this.isKeyword('if')) {
      this.next();
      if (this.isPunct('{') && this.looksLikeBlock()) return { body: this.parseBlock(), usedIf: true };
      return { body: [this.parseExpr()], usedIf: true };
    }
    if (allowBareBlock && this.isPunct('{') && !this.tok.newlineBefore) return { body: this.parseBlock(), usedIf: false };
    if (this.isPunct('{') && !this.tok.newlineBefore) return { body: this.parseBlock(), usedIf: false };
    return { body: [], usedIf: false };
  }

  /**
   * After `if`, `{` opens a body unless it is a set or object literal used as the single
   * expression; a body is the common case, so only `{}` followed by something else is not.
   */
  private looksLikeBlock(): boolean {
    let depth = 0;
    for (let j = this.i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.kind === 'eof') return true;
      // Past the first line of the braces it is a body: a literal's `:` or `|` comes on its first.
      if (j > this.i + 1 && depth === 1 && t.newlineBefore) return true;
      if (t.kind !== 'punct') continue;
      if (depth === 1 && t.text === ';') return true;
      if (t.text === '{' || t.text === '[' || t.text === '(') depth++;
      else if (t.text === '}' || t.text === ']' || t.text === ')') {
        depth--;
        if (depth === 0) return true;
      } else if (depth === 1 && (t.text === ':' || t.text === '|')) return false;
    }
    return true;
  }

  private parseBlock(): Expr[] {
    this.expectPunct('{');
    const body = this.parseBody('}');
    this.expectPunct('}');
    if (body.length === 0) throw this.error('found empty body');
    return body;
  }

  /** Expressions separated by `;` or line breaks, up to (not including) `close`. */
  protected parseBody(close: string): Expr[] {
    const body: Expr[] = [];
    while (!this.isPunct(close)) {
      if (this.atEof()) throw this.error(`unexpected eof token: expected ${close}`);
      body.push(this.parseExpr());
      if (this.isPunct(';')) this.next();
      else if (!this.isPunct(close) && !this.tok.newlineBefore) throw this.error(`unexpected ${this.describe(this.tok)}`);
    }
    return body;
  }

  parseQuery(): Expr[] {
    const body: Expr[] = [];
    while (this.tok.kind !== 'eof') {
      body.push(this.parseExpr());
      if (this.isPunct(';')) this.next();
      else if (!this.atEof() && !this.tok.newlineBefore) throw this.error(`unexpected ${this.describe(this.tok)}`);
    }
    if (body.length === 0) throw this.error('empty query');
    return body;
  }

  private parseHeadRef(): Term[] {
    const name = this.expectIdent();
    const ref: Term[] = [{ type: 'var', name: name.text, loc: this.loc(name) }];
    for (;;) {
      if (this.isPunct('.') && !this.tok.newlineBefore) {
        this.next();
        const part = this.expectIdent();
        ref.push({ type: 'scalar', value: part.text });
      } else if (this.isPunct('[') && !this.tok.newlineBefore) {
        this.next();
        ref.push(this.parseTerm({}));
        this.expectPunct(']');
      } else return ref;
    }
  }

  private parseExpr(): Expr {
    const start = this.tok;
    const loc = this.loc();
    let negated = false;
    let body: ExprBody;
    if (this.isKeyword('some')) {
      this.next();
      body = this.parseSome();
    } else if (this.isKeyword('every')) {
      this.next();
      body = this.parseEvery();
    } else {
      if (this.isKeyword('not')) {
        this.next();
        negated = true;
      }
      const left = this.parseTermOrMember3();
      if ((this.isPunct('=') || this.isPunct(':=')) && !this.tok.newlineBefore) {
        const assign = this.next().text === ':=';
        body = { kind: 'unify', left, right: this.parseTerm({}), assign };
      } else body = { kind: 'term', term: left };
    }
    const withs = this.parseWiths();
    if (start === this.tok) throw this.error(`unexpected ${this.describe(this.tok)}`);
    return { ...body, negated, with: withs, loc };
  }

  protected parseWiths(): WithModifier[] {
    const withs: WithModifier[] = [];
    while (this.isKeyword('with')) {
      this.next();
      const target = this.parseTerm({ noIn: true });
      if (!this.isKeyword('as')) throw this.error(`unexpected ${this.describe(this.tok)}: expected as keyword`);
      this.next();
      withs.push({ target, value: this.parseTerm({}) });
    }
    return withs;
  }

  private parseSome(): ExprBody {
    const terms = [this.parseTerm({ noIn: true })];
    while (this.isPunct(',')) {
      this.next();
      terms.push(this.parseTerm({ noIn: true }));
    }
    if (this.isKeyword('in')) {
      this.next();
      const collection = this.parseTerm({ noIn: true });
      if (terms.length > 2) throw this.error('unexpected , token: expected at most two terms before in');
      return terms.length === 2 ? { kind: 'somein', key: terms[0]!, value: terms[1]!, collection } : { kind: 'somein', value: terms[0]!, collection };
    }
    const vars = terms.map((t) => {
      if (t.type !== 'var') throw this.error('expected var in some declaration');
      return t.name;
    });
    return { kind: 'some', vars };
  }

  private parseEvery(): ExprBody {
    const first = this.parseTerm({ noIn: true });
    let key: Term | undefined;
    let value = first;
    if (this.isPunct(',')) {
      this.next();
      key = first;
      value = this.parseTerm({ noIn: true });
    }
    if (!this.isKeyword('in')) throw this.error(`unexpected ${this.describe(this.tok)}: expected in keyword`);
    this.next();
    const domain = this.parseTerm({ noIn: true });
    this.expectPunct('{');
    const body = this.parseBody('}');
    this.expectPunct('}');
    return { kind: 'every', key, value, domain, body };
  }

  /** A term, or `key, value in collection` where an expression or a parenthesized term may be. */
  protected parseTermOrMember3(): Term {
    const start = this.i;
    const first = this.parseTerm({});
    if (!this.isPunct(',')) return first;
    const afterFirst = this.i;
    this.i = start;
    const key = this.parseTerm({ noIn: true });
    if (!this.isPunct(',')) {
      this.i = afterFirst;
      return first;
    }
    this.next();
    const value = this.parseTerm({ noIn: true });
    if (!this.isKeyword('in')) {
      this.i = afterFirst;
      return first;
    }
    const op = this.next();
    const collection = this.parseTerm({ noIn: true });
    let left: Term = { type: 'call', name: 'internal.member_3', args: [key, value, collection], loc: this.loc(op) };
    // `in` is left-associative: `k, v in xs in ys` tests the first membership's result in ys.
    while (this.isKeyword('in') && !this.tok.newlineBefore) {
      const next = this.next();
      left = { type: 'call', name: 'internal.member_2', args: [left, this.parseTerm({ noIn: true })], loc: this.loc(next) };
    }
    return left;
  }

  // Terms are parsed by the subclass (parser-terms.ts).
  abstract parseTerm(opts: TermOptions): Term;
  protected abstract parseTermList(close: string): Term[];
}
