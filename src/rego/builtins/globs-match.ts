/**
 * regex.globs_match: whether two "glob-like" patterns (yashtewari/glob-intersection, as OPA uses it)
 * match at least one common string. A pattern is a sequence of characters, `.` (any character) and
 * `[...]` sets with ranges, each optionally followed by `*` or `+`; `\` escapes.
 */
import { BuiltinError } from '../errors.js';
import { register, str } from './registry.js';

type Matcher = { kind: 'char'; char: string } | { kind: 'dot' } | { kind: 'set'; chars: Set<string> };

interface Token {
  matcher: Matcher;
  flag: '' | '*' | '+';
}

function invalid(input: string, pos: number, message: string): BuiltinError {
  return new BuiltinError(`input:${input}, pos:${pos}, ${message}: the input provided is invalid`);
}

function tokenize(input: string): Token[] {
  const runes = [...input];
  const tokens: Token[] = [];
  let i = 0;
  /** The next rune, whether it was escaped, and the index after it. */
  const nextRune = (): [string, boolean] => {
    const r = runes[i] as string;
    if (r !== '\\') {
      i++;
      return [r, false];
    }
    if (i === runes.length - 1) throw invalid(input, i, 'input ends with a \\ (escape) character');
    i += 2;
    return [runes[i - 1] as string, true];
  };
  while (i < runes.length) {
    const [r, escaped] = nextRune();
    if (!escaped && (r === '*' || r === '+')) {
      const prev = tokens[tokens.length - 1];
      if (prev?.flag !== '') throw invalid(input, i, `flag '${r}' must be preceded by a non-flag`);
      prev.flag = r;
    } else if (!escaped && r === '.') tokens.push({ matcher: { kind: 'dot' }, flag: '' });
    else if (!escaped && r === ']') throw invalid(input, i, "set-close ']' with no preceding '['");
    else if (!escaped && r === '[') tokens.push({ matcher: readSet(), flag: '' });
    else tokens.push({ matcher: { kind: 'char', char: r }, flag: '' });
  }
  return tokens;

  function readSet(): Matcher {
    const chars = new Set<string>();
    let prev: string | undefined;
    while (i < runes.length) {
      const [r, escaped] = nextRune();
      if (escaped) {
        chars.add(r);
        prev = r;
      } else if (r === ']') return { kind: 'set', chars };
      else if (r === '-') {
        if (prev === undefined) throw invalid(input, i, "range character '-' must be preceded by a Unicode character");
        if (i >= runes.length - 1) throw invalid(input, i, "range character '-' must be followed by a Unicode character");
        const [end, endEscaped] = nextRune();
        if (!endEscaped && (end === ']' || end === '-')) throw invalid(input, i, "range character '-' cannot be followed by a special symbol");
        const from = prev.codePointAt(0) as number;
        const to = end.codePointAt(0) as number;
        if (to < from) throw invalid(input, i, `range is out of order: '${end}' comes before '${prev}' in Unicode`);
        for (let c = from; c <= to; c++) chars.add(String.fromCodePoint(c));
        prev = undefined;
      } else {
        chars.add(r);
        prev = r;
      }
    }
    throw invalid(input, i, 'found [ without matching ]');
  }
}

function intersects(a: Matcher, b: Matcher): boolean {
  if (a.kind === 'dot') return b.kind !== 'set' || b.chars.size > 0;
  if (b.kind === 'dot') return intersects(b, a);
  if (a.kind === 'char') return b.kind === 'char' ? a.char === b.char : b.chars.has(a.char);
  if (b.kind === 'char') return a.chars.has(b.char);
  for (const c of a.chars) if (b.chars.has(c)) return true;
  return false;
}

/**
 * A pattern as an automaton over token positions: state 2i is before token i, 2i+1 inside a repeated
 * token (a `*` or `+` loop), state 2n the end.
 */
interface Move {
  matcher: Matcher;
  to: number;
}

function automaton(tokens: Token[]): { moves: Move[][]; epsilon: number[][]; end: number } {
  const n = tokens.length;
  const moves: Move[][] = Array.from({ length: 2 * n + 1 }, () => []);
  const epsilon: number[][] = Array.from({ length: 2 * n + 1 }, () => []);
  tokens.forEach((t, i) => {
    const before = 2 * i;
    const loop = 2 * i + 1;
    const after = 2 * i + 2;
    if (t.flag === '') moves[before]?.push({ matcher: t.matcher, to: after });
    else {
      if (t.flag === '*') epsilon[before]?.push(loop);
      else moves[before]?.push({ matcher: t.matcher, to: loop });
      moves[loop]?.push({ matcher: t.matcher, to: loop });
      epsilon[loop]?.push(after);
    }
  });
  return { moves, epsilon, end: 2 * n };
}

/** Whether the product of the two automata reaches both ends together. */
function nonEmptyIntersection(x: Token[], y: Token[]): boolean {
  const a = automaton(x);
  const b = automaton(y);
  const width = b.end + 1;
  const seen = new Set<number>();
  const queue: [number, number][] = [[0, 0]];
  seen.add(0);
  const visit = (p: number, q: number) => {
    const key = p * width + q;
    if (seen.has(key)) return;
    seen.add(key);
    queue.push([p, q]);
  };
  for (let pair = queue.shift(); pair; pair = queue.shift()) {
    const [p, q] = pair;
    if (p === a.end && q === b.end) return true;
    for (const e of a.epsilon[p] ?? []) visit(e, q);
    for (const e of b.epsilon[q] ?? []) visit(p, e);
    for (const m of a.moves[p] ?? []) for (const n of b.moves[q] ?? []) if (intersects(m.matcher, n.matcher)) visit(m.to, n.to);
  }
  return false;
}

register('regex.globs_match', 2, (args) => nonEmptyIntersection(tokenize(str(args, 0)), tokenize(str(args, 1))));
