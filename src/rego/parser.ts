import { parse as parseYaml } from 'yaml';
import type { Annotations, Expr, ExprBody, Import, Location, Module, Rule, RuleHead, Term, WithModifier } from './ast.js';
import { RegoError } from './errors.js';
import { type Token, tokenize } from './lexer.js';
import { normalizeInt } from './value.js';

const KEYWORDS = new Set(['as', 'contains', 'default', 'else', 'every', 'false', 'if', 'import', 'in', 'not', 'null', 'package', 'some', 'true', 'with']);

const RELATION_OPS: Record<string, string> = { '==': 'equal', '!=': 'neq', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const ARITH_OPS: Record<string, string> = { '+': 'plus', '-': 'minus' };
const FACTOR_OPS: Record<string, string> = { '*': 'mul', '/': 'div', '%': 'rem' };

interface TermOptions {
  /** Stop before `|`: the first term of `[x | body]` and `{x | body}`. */
  noOr?: boolean;
  /** Stop before `in`: the terms of `some x in xs` and `every x in xs`. */
  noIn?: boolean;
}

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  private get tok(): Token {
    return this.tokens[this.i]!;
  }

  private peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }

  private loc(token: Token = this.tok): Location {
    return { file: this.file, row: token.row, col: token.col };
  }

  error(message: string, token: Token = this.tok): RegoError {
    return new RegoError('rego_parse_error', message, this.loc(token));
  }

  private describe(token: Token): string {
    if (token.kind === 'eof') return 'eof token';
    if (token.kind === 'ident') return KEYWORDS.has(token.text) ? `${token.text} keyword` : `ident token`;
    if (token.kind === 'string' || token.kind === 'template') return 'string token';
    if (token.kind === 'number') return 'number token';
    return `${token.text} token`;
  }

  atEof(): boolean {
    return this.tok.kind === 'eof';
  }

  private next(): Token {
    const token = this.tok;
    if (token.kind !== 'eof') this.i++;
    return token;
  }

  private isPunct(text: string, token: Token = this.tok): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private expectPunct(text: string): Token {
    if (!this.isPunct(text)) throw this.error(`unexpected ${this.describe(this.tok)}: expected ${text}`);
    return this.next();
  }

  /** A keyword directly followed by `.` (as in `if.foo`) is a name, not the keyword. */
  private isKeyword(word: string, token: Token = this.tok): boolean {
    if (token.kind !== 'ident' || token.text !== word) return false;
    const after = this.tokens[this.tokens.indexOf(token) + 1];
    return !(after && after.kind === 'punct' && after.text === '.' && after.row === token.row && after.col === token.col + token.text.length);
  }

  private expectIdent(): Token {
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
  private parseBody(close: string): Expr[] {
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

  private parseWiths(): WithModifier[] {
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
  private parseTermOrMember3(): Term {
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

  private parseTermList(close: string): Term[] {
    const items: Term[] = [];
    while (!this.isPunct(close)) {
      items.push(this.parseTerm({}));
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(close)) throw this.error(`unexpected ${this.describe(this.tok)}: expected ${close}`);
    }
    this.next();
    return items;
  }

  /** A term with infix operators, lowest precedence first: in, relations, |, &, + -, * / %. */
  parseTerm(opts: TermOptions): Term {
    let left = this.parseRelation(opts);
    while (!opts.noIn && this.isKeyword('in') && !this.tok.newlineBefore) {
      const op = this.next();
      const right = this.parseRelation(opts);
      left = { type: 'call', name: 'internal.member_2', args: [left, right], loc: this.loc(op) };
    }
    return left;
  }

  private binary(opts: TermOptions, ops: Record<string, string>, operand: (o: TermOptions) => Term, exclude?: string): Term {
    let left = operand(opts);
    for (;;) {
      const token = this.tok;
      if (token.kind !== 'punct' || token.newlineBefore || !(token.text in ops) || token.text === exclude) return left;
      this.next();
      const right = operand(opts);
      left = { type: 'call', name: ops[token.text]!, args: [left, right], loc: this.loc(token) };
    }
  }

  private parseRelation(opts: TermOptions): Term {
    return this.binary(opts, RELATION_OPS, (o) => this.parseOr(o));
  }

  private parseOr(opts: TermOptions): Term {
    return this.binary(opts, { '|': 'or' }, (o) => this.parseAnd(o), opts.noOr ? '|' : undefined);
  }

  private parseAnd(opts: TermOptions): Term {
    return this.binary(opts, { '&': 'and' }, (o) => this.parseArith(o));
  }

  private parseArith(opts: TermOptions): Term {
    return this.binary(opts, ARITH_OPS, (o) => this.parseFactor(o));
  }

  private parseFactor(opts: TermOptions): Term {
    return this.binary(opts, FACTOR_OPS, () => this.parseUnary());
  }

  private parseUnary(): Term {
    if (this.isPunct('-')) {
      const minus = this.next();
      if (this.tok.kind === 'number' && this.tok.row === minus.row && this.tok.col === minus.col + 1) {
        const num = this.next();
        return this.withSuffixes({ type: 'scalar', value: numberLiteral(`-${num.text}`), loc: this.loc(minus) });
      }
      const operand = this.parseUnary();
      return { type: 'call', name: 'minus', args: [{ type: 'scalar', value: 0 }, operand], loc: this.loc(minus) };
    }
    return this.withSuffixes(this.parsePrimary());
  }

  private parsePrimary(): Term {
    const token = this.tok;
    const loc = this.loc(token);
    switch (token.kind) {
      case 'number': {
        this.next();
        const value = numberLiteral(token.text);
        if (typeof value === 'number' && !Number.isFinite(value)) throw this.error('number too big', token);
        return { type: 'scalar', value, loc };
      }
      case 'string':
        this.next();
        return { type: 'scalar', value: token.value!, loc };
      case 'template':
        this.next();
        return { type: 'template', parts: token.parts!.map((part) => (typeof part === 'string' ? part : this.subTerm(part))), loc };
      case 'ident': {
        if (this.isKeyword('true') || this.isKeyword('false')) {
          this.next();
          return { type: 'scalar', value: token.text === 'true', loc };
        }
        if (this.isKeyword('null')) {
          this.next();
          return { type: 'scalar', value: null, loc };
        }
        if (token.text === 'set' && this.isPunct('(', this.peek()) && this.isPunct(')', this.peek(2))) {
          this.i += 3;
          return { type: 'set', items: [], loc };
        }
        this.next();
        return { type: 'var', name: token.text, loc };
      }
      case 'punct':
        if (token.text === '[') return this.parseArray();
        if (token.text === '{') return this.parseBrace();
        if (token.text === '(') {
          this.next();
          const inner = this.parseTermOrMember3();
          this.expectPunct(')');
          return inner;
        }
        break;
    }
    throw this.error(`unexpected ${this.describe(token)}`);
  }

  private subTerm(tokens: Token[]): Term {
    const sub = new Parser(tokens, this.file);
    if (sub.tok.kind === 'eof') throw sub.error('empty template expression');
    const term = sub.parseTerm({});
    const withs = sub.parseWiths();
    if (!sub.atEof()) throw sub.error(`unexpected ${sub.describe(sub.tok)}`);
    if (withs.length === 0) return term;
    // `{t with …}`: evaluated as the one-value comprehension [v | v = t with …].
    const loc = term.loc ?? this.loc();
    const value: Term = { type: 'var', name: `__template_with_${loc.row}_${loc.col}`, loc };
    return {
      type: 'arraycompr',
      term: value,
      body: [{ kind: 'unify', left: value, right: term, assign: true, negated: false, with: withs, loc }],
      single: true,
      loc,
    };
  }

  private parseArray(): Term {
    const loc = this.loc();
    this.expectPunct('[');
    if (this.isPunct(']')) {
      this.next();
      return { type: 'array', items: [], loc };
    }
    const first = this.parseTerm({ noOr: true });
    if (this.isPunct('|')) {
      this.next();
      const body = this.parseBody(']');
      this.expectPunct(']');
      return { type: 'arraycompr', term: first, body, loc };
    }
    const items = [first];
    while (this.isPunct(',')) {
      this.next();
      if (this.isPunct(']')) break;
      items.push(this.parseTerm({}));
    }
    this.expectPunct(']');
    return { type: 'array', items, loc };
  }

  private parseBrace(): Term {
    const loc = this.loc();
    this.expectPunct('{');
    if (this.isPunct('}')) {
      this.next();
      return { type: 'object', entries: [], loc };
    }
    const first = this.parseTerm({ noOr: true });
    if (this.isPunct(':')) {
      this.next();
      const value = this.parseTerm({ noOr: true });
      if (this.isPunct('|')) {
        this.next();
        const body = this.parseBody('}');
        this.expectPunct('}');
        return { type: 'objectcompr', key: first, value, body, loc };
      }
      const entries: [Term, Term][] = [[first, value]];
      while (this.isPunct(',')) {
        this.next();
        if (this.isPunct('}')) break;
        const k = this.parseTerm({});
        this.expectPunct(':');
        entries.push([k, this.parseTerm({})]);
      }
      this.expectPunct('}');
      return { type: 'object', entries, loc };
    }
    if (this.isPunct('|')) {
      this.next();
      const body = this.parseBody('}');
      this.expectPunct('}');
      return { type: 'setcompr', term: first, body, loc };
    }
    const items = [first];
    while (this.isPunct(',')) {
      this.next();
      if (this.isPunct('}')) break;
      items.push(this.parseTerm({}));
    }
    this.expectPunct('}');
    return { type: 'set', items, loc };
  }

  /** `.name`, `[term]` and `(args)` after a term, on the same line. */
  private withSuffixes(term: Term): Term {
    let current = term;
    for (;;) {
      const token = this.tok;
      if (token.newlineBefore || token.kind !== 'punct') return current;
      if (token.text === '.') {
        this.next();
        const name = this.expectIdent();
        current = appendPath(current, { type: 'scalar', value: name.text, loc: this.loc(name) });
      } else if (token.text === '[') {
        this.next();
        const key = this.parseTerm({});
        this.expectPunct(']');
        current = appendPath(current, key);
      } else if (token.text === '(') {
        const name = callName(current);
        if (name === undefined) return current;
        this.next();
        current = { type: 'call', name, args: this.parseTermList(')'), loc: current.loc ?? this.loc(token) };
      } else return current;
    }
  }
}

/** Integers beyond 2^53 keep every digit as bigints. */
function numberLiteral(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) return normalizeInt(BigInt(text));
  return Number(text);
}

function appendPath(term: Term, part: Term): Term {
  if (term.type === 'ref') return { ...term, path: [...term.path, part] };
  return { type: 'ref', head: term, path: [part], loc: term.loc };
}

/** The dotted name of a function being called: `f`, `object.get`, `data.lib.f`. */
function callName(term: Term): string | undefined {
  if (term.type === 'var') return term.name;
  if (term.type !== 'ref' || term.head.type !== 'var') return undefined;
  const parts = [term.head.name];
  for (const p of term.path) {
    if (p.type !== 'scalar' || typeof p.value !== 'string') return undefined;
    parts.push(p.value);
  }
  return parts.join('.');
}

export function parseModule(source: string, file: string): Module {
  const parser = new Parser(tokenize(source, file), file);
  const module = parser.parseModule();
  const blocks = metadataBlocks(source, file);
  if (blocks.size > 0) {
    module.annotations = blocks.get(parser.packageRow);
    if (module.annotations) module.annotations.scope ??= 'package';
    for (const rule of module.rules) {
      rule.annotations = blocks.get(rule.loc.row);
      if (rule.annotations) rule.annotations.scope ??= 'rule';
    }
  }
  return module;
}

/** `# METADATA` comment blocks, by the row of the line that follows each (what they annotate). */
function metadataBlocks(source: string, file: string): Map<number, Annotations> {
  const lines = source.split('\n');
  const blocks = new Map<number, Annotations>();
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#\s*METADATA\s*$/.test(lines[i] as string)) continue;
    const yaml: string[] = [];
    let j = i + 1;
    for (; j < lines.length && /^\s*#/.test(lines[j] as string); j++) yaml.push((lines[j] as string).replace(/^\s*# ?/, ''));
    let parsed: unknown;
    try {
      parsed = parseYaml(yaml.join('\n'));
    } catch (err) {
      throw new RegoError('rego_parse_error', `yaml: ${(err as Error).message}`, { file, row: i + 1, col: 1 });
    }
    const annotations: Annotations = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? { ...(parsed as Annotations) } : {};
    if (Array.isArray(annotations.authors)) annotations.authors = annotations.authors.map(author);
    if (Array.isArray(annotations.related_resources)) {
      annotations.related_resources = annotations.related_resources.map((r) => (typeof r === 'string' ? { ref: r } : r));
    }
    blocks.set(j + 1, annotations);
    i = j - 1;
  }
  return blocks;
}

/** "Name <email>" (or either alone) as OPA's author object. */
function author(a: unknown): unknown {
  if (typeof a !== 'string') return a;
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(a.trim());
  if (!m) return { name: a.trim() };
  return m[1] ? { name: m[1], email: m[2] } : { email: m[2] };
}

export function parseQuery(source: string, file = 'query'): Expr[] {
  return new Parser(tokenize(source, file), file).parseQuery();
}
