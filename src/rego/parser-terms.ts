import type { Term } from './ast.js';
import type { Token } from './lexer.js';
import { StatementParser, type TermOptions } from './parser-statements.js';
import { normalizeInt } from './value.js';

const RELATION_OPS: Record<string, string> = { '==': 'equal', '!=': 'neq', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const ARITH_OPS: Record<string, string> = { '+': 'plus', '-': 'minus' };
const FACTOR_OPS: Record<string, string> = { '*': 'mul', '/': 'div', '%': 'rem' };

/** The parser: terms with their operators, literals, comprehensions and suffixes, over the statements of StatementParser. */
export class Parser extends StatementParser {
  protected parseTermList(close: string): Term[] {
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
