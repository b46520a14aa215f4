/**
 * regex.* and glob.* built-ins. Go's regexp is RE2; JS RegExp agrees with it on the syntax RE2
 * accepts once translated (below). What RE2 rejects (backreferences, lookaround) and what JS
 * cannot express faithfully (flags in the middle of a pattern, \C) is refused with a built-in
 * error instead of matching differently.
 */
import { BuiltinError } from '../errors.js';
import { type BuiltinContext, int, items, register, str } from './registry.js';

const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/', '-']);
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const RE2_SPACE = '\\t\\n\\f\\r ';

function unsupported(pattern: string, what: string): BuiltinError {
  return new BuiltinError(`error parsing regexp: invalid or unsupported Perl syntax: \`${what}\` in ${JSON.stringify(pattern)}`);
}

/** RE2 source → JS source and flags (always with `u`). */
export function translateRE2(pattern: string): { source: string; flags: string } {
  let flags = 'u';
  let i = 0;
  // Leading flag groups: (?i), (?s), (?m), (?is) … apply to the whole pattern.
  for (let m = /^\(\?([imsU]+)\)/.exec(pattern.slice(i)); m; m = /^\(\?([imsU]+)\)/.exec(pattern.slice(i))) {
    for (const f of m[1]!) {
      if (f === 'U') throw unsupported(pattern, '(?U');
      if (!flags.includes(f)) flags += f;
    }
    i += m[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new BuiltinError(`error parsing regexp: trailing backslash at end of expression: \`\``);
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? undefined : end);
        out += [...literal].map((ch) => (JS_SYNTAX.has(ch) ? `\\${ch}` : ch)).join('');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (n >= '1' && n <= '9') throw new BuiltinError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
      if (n === 'C') throw unsupported(pattern, '\\C');
      if (n === 'A' && !inClass) {
        out += '^';
        flags = flags.replace('m', '');
        i += 2;
        continue;
      }
      if (n === 'z' && !inClass) {
        out += '$(?![\\s\\S])';
        i += 2;
        continue;
      }
      if (n === 's') {
        out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
        i += 2;
        continue;
      }
      if (n === 'S') {
        if (inClass) throw unsupported(pattern, '\\S in a class');
        out += `[^${RE2_SPACE}]`;
        i += 2;
        continue;
      }
      if ((n === 'p' || n === 'P') && pattern[i + 2] !== '{') {
        out += `\\${n}{${pattern[i + 2] ?? ''}}`;
        i += 3;
        continue;
      }
      if (n === 'x' && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i);
        out += `\\u{${pattern.slice(i + 3, end)}}`;
        i = end + 1;
        continue;
      }
      if (/[a-zA-Z0-9]/.test(n)) {
        if (!'dDwWbBpPnrtfvx0'.includes(n)) throw new BuiltinError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
        out += `\\${n}`;
        i += 2;
        continue;
      }
      // RE2 lets any punctuation be escaped; JS's unicode mode only its own syntax characters.
      out += JS_SYNTAX.has(n) ? `\\${n}` : `\\u{${n.codePointAt(0)!.toString(16)}}`;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i);
        const name = end < 0 ? '' : pattern.slice(i + 2, end);
        const negate = name.startsWith('^');
        const cls = POSIX_CLASSES[negate ? name.slice(1) : name];
        if (!cls || negate) throw unsupported(pattern, `[:${name}:]`);
        out += cls;
        i = end + 2;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      // A `]` first in a class is a literal in RE2.
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (rest.startsWith(':') || /^<[A-Za-z_]/.test(rest)) {
        out += '(?';
        i += 2;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!'))
        throw unsupported(pattern, `(?${rest.slice(0, rest[0] === '<' ? 2 : 1)}`);
      // Flags in the middle of a pattern: JS has no equivalent.
      throw unsupported(pattern, `(?${rest.slice(0, 2)}`);
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        if (Number(m[1]) > 1000 || (m[3] && Number(m[3]) > 1000)) throw new BuiltinError(`error parsing regexp: invalid repeat count: \`${m[0]}\``);
        out += m[0];
        i += m[0].length;
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (c === '}' || c === ']') {
      out += `\\${c}`;
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (inClass) throw new BuiltinError(`error parsing regexp: missing closing ]: \`${pattern}\``);
  return { source: out, flags };
}

export function compileRE2(pattern: string, ctx: BuiltinContext, global = false): RegExp {
  const key = `re:${global ? 'g' : ''}:${pattern}`;
  const cached = ctx.cache.get(key);
  if (cached instanceof RegExp) return cached;
  const { source, flags } = translateRE2(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, global ? `${flags}g` : flags);
  } catch (err) {
    throw new BuiltinError(`error parsing regexp: ${err instanceof Error ? err.message : 'invalid pattern'}`);
  }
  ctx.cache.set(key, re);
  return re;
}

/** Go's FindAll: successive non-overlapping matches; an empty match right after a match is skipped. */
function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  let prevEnd = -1;
  while (n < 0 || out.length < n) {
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      if (m.index !== prevEnd) out.push(m);
      re.lastIndex = m.index + (s.codePointAt(m.index)! > 0xffff ? 2 : 1);
      if (m.index >= s.length) break;
    } else {
      out.push(m);
      prevEnd = end;
    }
  }
  return out;
}

register('regex.match', 2, (args, ctx) => compileRE2(str(args, 0), ctx).test(str(args, 1)));
register('re_match', 2, (args, ctx) => compileRE2(str(args, 0), ctx).test(str(args, 1)));
register('regex.is_valid', 1, ([p], ctx) => {
  if (typeof p !== 'string') return false;
  try {
    compileRE2(p, ctx);
    return true;
  } catch {
    return false;
  }
});
register('regex.find_n', 3, (args, ctx) => findAll(compileRE2(str(args, 0), ctx, true), str(args, 1), int(args, 2)).map((m) => m[0]));
register('regex.find_all_string_submatch_n', 3, (args, ctx) =>
  findAll(compileRE2(str(args, 0), ctx, true), str(args, 1), int(args, 2)).map((m) => [...m].map((g) => g ?? '')),
);
register('regex.split', 2, (args, ctx) => {
  const s = str(args, 1);
  const matches = findAll(compileRE2(str(args, 0), ctx, true), s, -1);
  // Go's Split: an empty match at the very start yields no leading empty piece.
  const out: string[] = [];
  let beg = 0;
  for (const m of matches) {
    const end = m.index;
    if (m[0].length === 0 && m.index === 0) continue;
    out.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  out.push(s.slice(beg));
  return out;
});

/** Go's Regexp.Expand for ReplaceAllString: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, whole: string, braced?: string, bare?: string) => {
    if (whole === '$') return '$';
    const name = braced ?? bare ?? '';
    if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
    return m.groups?.[name] ?? '';
  });
}

register('regex.replace', 3, (args, ctx) => {
  const s = str(args, 0);
  const re = compileRE2(str(args, 1), ctx, true);
  const replacement = str(args, 2);
  let out = '';
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    out += s.slice(last, m.index) + expand(replacement, m);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
});

register('regex.template_match', 4, (args, ctx) => {
  const template = str(args, 0);
  const value = str(args, 1);
  const open = str(args, 2);
  const close = str(args, 3);
  // Literal text outside the delimiters, regular expressions inside.
  let source = '^';
  let i = 0;
  while (i < template.length) {
    const start = template.indexOf(open, i);
    if (start < 0) {
      source += escapeRegExp(template.slice(i));
      break;
    }
    source += escapeRegExp(template.slice(i, start));
    const end = template.indexOf(close, start + open.length);
    if (end < 0) throw new BuiltinError(`delimiter mismatch in template ${template}`);
    source += `(?:${translateRE2(template.slice(start + open.length, end)).source})`;
    i = end + close.length;
  }
  const re = new RegExp(`${source}$`, 'u');
  void ctx;
  return re.test(value);
});

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// glob.match: gobwas/glob syntax (*, **, ?, [...], [!...], {a,b}, \ escapes) with delimiters.

function globToRegExp(pattern: string, delimiters: string[]): string {
  const notDelim = delimiters.length === 0 ? '[\\s\\S]' : `[^${delimiters.map(escapeRegExp).join('')}]`;
  let i = 0;
  const parse = (inBraces: boolean): string => {
    let out = '';
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (c === '\\') {
        const n = pattern[i + 1];
        if (n === undefined) throw new BuiltinError('unexpected end of input');
        out += escapeRegExp(n);
        i += 2;
      } else if (c === '*') {
        if (pattern[i + 1] === '*') {
          out += '[\\s\\S]*';
          i += 2;
        } else {
          out += `${notDelim}*`;
          i++;
        }
      } else if (c === '?') {
        out += notDelim;
        i++;
      } else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) throw new BuiltinError('unexpected end of input');
        let body = pattern.slice(i + 1, end);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end + 1;
      } else if (c === '{') {
        i++;
        const alternatives: string[] = [parse(true)];
        while (pattern[i] === ',') {
          i++;
          alternatives.push(parse(true));
        }
        if (pattern[i] !== '}') throw new BuiltinError('unexpected end of input');
        i++;
        out += `(?:${alternatives.join('|')})`;
      } else if (inBraces && (c === ',' || c === '}')) {
        return out;
      } else {
        out += escapeRegExp(c);
        i++;
      }
    }
    return out;
  };
  const source = parse(false);
  return `^${source}$`;
}

register('glob.match', 3, (args, ctx) => {
  const pattern = str(args, 0);
  const value = str(args, 2);
  let delimiters: string[];
  if (args[1] === null) delimiters = [];
  else {
    delimiters = items(args, 1, 'array').map((d) => {
      if (typeof d !== 'string') throw new BuiltinError('operand 2 must be array of strings', true);
      return d;
    });
    if (delimiters.length === 0) delimiters = ['.'];
  }
  const key = `glob:${JSON.stringify(delimiters)}:${pattern}`;
  let re = ctx.cache.get(key);
  if (!(re instanceof RegExp)) {
    re = new RegExp(globToRegExp(pattern, delimiters), 'u');
    ctx.cache.set(key, re);
  }
  return (re as RegExp).test(value);
});
register('glob.quote_meta', 1, (args) => str(args, 0).replace(/[*?\\[\]{}]/g, '\\$&'));
