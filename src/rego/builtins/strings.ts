/** String built-ins, sprintf and units.* */
import { BuiltinError } from '../errors.js';
import { formatNumber, RegoSet, toRegoString, typeName, type Value } from '../value.js';
import { arr, int, items, num, obj, operandError, register, str } from './registry.js';

/** Code points, so indexes match OPA's rune-based string functions. */
const runes = (s: string) => [...s];

register('concat', 2, (args) => {
  const sep = str(args, 0);
  const parts = items(args, 1, 'one of {array, set}').map((v) => {
    if (typeof v !== 'string') throw operandError(2, 'array of strings', args[1]!);
    return v;
  });
  return parts.join(sep);
});
register('contains', 2, (args) => str(args, 0).includes(str(args, 1)));
register('startswith', 2, (args) => str(args, 0).startsWith(str(args, 1)));
register('endswith', 2, (args) => str(args, 0).endsWith(str(args, 1)));
register('lower', 1, (args) => str(args, 0).toLowerCase());
register('upper', 1, (args) => str(args, 0).toUpperCase());
register('split', 2, (args) => str(args, 0).split(str(args, 1)));
register('replace', 3, (args) => str(args, 0).replaceAll(str(args, 1), str(args, 2)));
register('strings.replace_n', 2, (args) => {
  const patterns = obj(args, 0);
  let s = str(args, 1);
  const pairs: [string, string][] = [];
  for (const [k, v] of patterns.entries()) {
    if (typeof k !== 'string') throw new BuiltinError('operand 1 non-string key found in pattern object', true);
    if (typeof v !== 'string') throw new BuiltinError('operand 1 non-string value found in pattern object', true);
    pairs.push([k, v]);
  }
  // Go's strings.NewReplacer: at each position the first matching pattern (in argument order) wins.
  let out = '';
  let i = 0;
  while (i < s.length) {
    const match = pairs.find(([k]) => k !== '' && s.startsWith(k, i));
    if (match) {
      out += match[1];
      i += match[0].length;
    } else {
      out += s[i];
      i++;
    }
  }
  s = out;
  return s;
});
register('strings.reverse', 1, (args) => runes(str(args, 0)).reverse().join(''));
register('reverse', 1, (args) => runes(str(args, 0)).reverse().join(''));
register('strings.count', 2, (args) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  if (sub === '') return runes(s).length + 1;
  let count = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) count++;
  return count;
});

function runeIndex(s: string, codeUnitIndex: number): number {
  return runes(s.slice(0, codeUnitIndex)).length;
}

register('indexof', 2, (args) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  const i = s.indexOf(sub);
  return i < 0 ? -1 : runeIndex(s, i);
});
register('indexof_n', 2, (args) => {
  const s = str(args, 0);
  const sub = str(args, 1);
  const out: number[] = [];
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
    out.push(runeIndex(s, i));
    if (sub === '' && i >= s.length) break;
  }
  return out;
});
register('substring', 3, (args) => {
  const s = runes(str(args, 0));
  const start = int(args, 1);
  const length = int(args, 2);
  if (start < 0) throw new BuiltinError('negative offset');
  if (start >= s.length) return '';
  return (length < 0 ? s.slice(start) : s.slice(start, start + length)).join('');
});

function trimSet(cutset: string): Set<string> {
  return new Set(runes(cutset));
}

function trimLeft(s: string, cut: Set<string>): string {
  const r = runes(s);
  let i = 0;
  while (i < r.length && cut.has(r[i]!)) i++;
  return r.slice(i).join('');
}

function trimRight(s: string, cut: Set<string>): string {
  const r = runes(s);
  let j = r.length;
  while (j > 0 && cut.has(r[j - 1]!)) j--;
  return r.slice(0, j).join('');
}

register('trim', 2, (args) => trimRight(trimLeft(str(args, 0), trimSet(str(args, 1))), trimSet(str(args, 1))));
register('trim_left', 2, (args) => trimLeft(str(args, 0), trimSet(str(args, 1))));
register('trim_right', 2, (args) => trimRight(str(args, 0), trimSet(str(args, 1))));
register('trim_prefix', 2, (args) => {
  const s = str(args, 0);
  const p = str(args, 1);
  return s.startsWith(p) ? s.slice(p.length) : s;
});
register('trim_suffix', 2, (args) => {
  const s = str(args, 0);
  const p = str(args, 1);
  return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
});
register('trim_space', 1, (args) => str(args, 0).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, ''));

function stringsOf(args: Value[], i: number): string[] {
  const v = args[i]!;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) || v instanceof RegoSet) {
    const list = Array.isArray(v) ? v : v.values();
    return list.map((x) => {
      if (typeof x !== 'string')
        throw new BuiltinError(
          `operand ${i + 1} must be ${Array.isArray(v) ? 'array' : 'set'} of strings but got ${Array.isArray(v) ? 'array' : 'set'} containing ${typeName(x)}`,
          true,
        );
      return x;
    });
  }
  throw operandError(i + 1, 'one of {string, set, array}', v);
}

register('strings.any_prefix_match', 2, (args) => {
  const subjects = stringsOf(args, 0);
  const prefixes = stringsOf(args, 1);
  return subjects.some((s) => prefixes.some((p) => s.startsWith(p)));
});
register('strings.any_suffix_match', 2, (args) => {
  const subjects = stringsOf(args, 0);
  const suffixes = stringsOf(args, 1);
  return subjects.some((s) => suffixes.some((p) => s.endsWith(p)));
});

register('format_int', 2, (args) => {
  const n = num(args, 0);
  const base = num(args, 1);
  if (![2, 8, 10, 16].includes(base)) throw new BuiltinError('operand 2 must be one of {2, 8, 10, 16}', true);
  const truncated = Math.trunc(n);
  return truncated.toString(base);
});

// ---------------------------------------------------------------------------------------------
// sprintf: Go's fmt verbs over OPA's argument conversion (numbers stay numbers, strings stay
// strings, anything else is printed as Rego text first).

function pad(text: string, width: number | undefined, flags: string, numeric: boolean): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width, ' ');
  if (flags.includes('0') && numeric) {
    const sign = text.startsWith('-') || text.startsWith('+') ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width, ' ');
}

function goFloatExp(n: number, precision: number, upper: boolean): string {
  const [mantissa, exp] = n.toExponential(precision).split('e');
  const e = Number(exp);
  const text = `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return upper ? text.toUpperCase() : text;
}

function formatOne(verb: string, arg: Value, flags: string, width: number | undefined, precision: number | undefined): string {
  const plus = flags.includes('+');
  if (typeof arg === 'bigint') {
    if ('dsv'.includes(verb)) return pad(plus && arg >= 0n ? `+${arg}` : arg.toString(), width, flags, true);
    if (verb === 'x' || verb === 'X' || verb === 'o' || verb === 'b') {
      const text = (arg < 0n ? -arg : arg).toString(verb === 'o' ? 8 : verb === 'b' ? 2 : 16);
      return pad((arg < 0n ? '-' : '') + (verb === 'X' ? text.toUpperCase() : text), width, flags, true);
    }
    return formatOne(verb, Number(arg), flags, width, precision);
  }
  const sign = (n: number, text: string) => (plus && n >= 0 ? `+${text}` : text);
  if (typeof arg === 'number') {
    const isInt = Number.isInteger(arg);
    switch (verb) {
      case 'd':
        if (isInt) return pad(sign(arg, arg.toFixed(0)), width, flags, true);
        return `%!d(float64=${formatNumber(arg)})`;
      case 'v':
      case 's':
        return pad(formatNumber(arg), width, flags, false);
      case 'f':
      case 'F':
        return pad(sign(arg, arg.toFixed(precision ?? 6)), width, flags, true);
      case 'e':
      case 'E':
        return pad(sign(arg, goFloatExp(arg, precision ?? 6, verb === 'E')), width, flags, true);
      case 'g':
      case 'G':
        return pad(precision === undefined ? formatNumber(arg) : String(Number(arg.toPrecision(precision))), width, flags, true);
      case 'x':
      case 'X':
      case 'o':
      case 'b': {
        if (!isInt) {
          if (verb === 'x' || verb === 'X') break;
          return `%!${verb}(float64=${formatNumber(arg)})`;
        }
        const base = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
        let text = Math.abs(arg).toString(base);
        if (verb === 'X') text = text.toUpperCase();
        if (flags.includes('#')) text = (verb === 'o' ? '0' : verb === 'b' ? '' : verb === 'x' ? '0x' : '0X') + text;
        return pad((arg < 0 ? '-' : '') + text, width, flags, true);
      }
      case 'c':
        return String.fromCodePoint(arg);
      case 'q':
        return `'${String.fromCodePoint(arg)}'`;
      case 't':
        return `%!t(int=${arg})`;
    }
    throw new BuiltinError(`unsupported format verb %${verb} for a number`);
  }
  const text = typeof arg === 'string' ? arg : toRegoString(arg);
  switch (verb) {
    case 'v':
    case 's': {
      const cut = precision === undefined ? text : runes(text).slice(0, precision).join('');
      return pad(cut, width, flags, false);
    }
    case 'q':
      return pad(JSON.stringify(text), width, flags, false);
    case 'x':
    case 'X': {
      const hex = [...Buffer.from(text, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join('');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, width, flags, false);
    }
    case 't':
      if (arg === true || arg === false) return String(arg);
      return `%!t(string=${text})`;
    case 'd':
      return `%!d(string=${text})`;
  }
  throw new BuiltinError(`unsupported format verb %${verb}`);
}

export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let argIndex = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', widthText, precisionText, verb = ''] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const width = widthText === undefined || widthText === '*' ? undefined : Number(widthText);
    let precision = precisionText === undefined ? undefined : precisionText === '*' ? undefined : Number(precisionText);
    if (m[0].includes('.') && precisionText === undefined) precision = 0;
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argIndex++]!, flags, width, precision);
  }
  out += format.slice(last);
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${typeof a === 'number' ? (Number.isInteger(a) ? 'int' : 'float64') : 'string'}=${typeof a === 'string' ? a : toRegoString(a)}`)
      .join(', ')})`;
  }
  return out;
}

register('sprintf', 2, (args) => sprintf(str(args, 0), arr(args, 1)));

// ---------------------------------------------------------------------------------------------
// units.parse and units.parse_bytes

/** The leading amount (digits, a point, an exponent such as e3 or E-2) and the unit after it. */
function splitAmount(s: string): [string, string] {
  const m = /^[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?/.exec(s);
  const amount = m?.[0] ?? '';
  return [amount, s.slice(amount.length)];
}

const DECIMAL_UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, g: 1e9, G: 1e9, t: 1e12, T: 1e12, p: 1e15, P: 1e15, e: 1e18, E: 1e18, m: 0.001 };
const BINARY_UNITS: Record<string, number> = { ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40, pi: 2 ** 50, ei: 2 ** 60 };

function parseAmount(text: string, message: string): number {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new BuiltinError(message);
  return Number(text);
}

register('units.parse', 1, (args) => {
  const raw = str(args, 0).replaceAll('"', '');
  if (raw.includes(' ')) throw new BuiltinError('spaces not allowed in resource strings');
  const [amount, unitText] = splitAmount(raw);
  if (amount === '') throw new BuiltinError('no amount provided');
  // Only letters after the first are case-insensitive, so m (milli) and M (mega) stay apart.
  const unit = unitText.length > 1 ? unitText[0]! + unitText.slice(1).toLowerCase() : unitText;
  let factor = DECIMAL_UNITS[unit];
  if (factor === undefined) factor = BINARY_UNITS[unit.toLowerCase()];
  if (factor === undefined || (unit.length === 2 && unit[1] !== 'i')) throw new BuiltinError(`unknown unit ${unitText}`);
  const n = parseAmount(amount, 'could not parse amount to a number');
  return exactProduct(amount, n, factor);
});

/** amount × factor without float noise for decimal amounts (1.1 × 1000 is 1100). */
function exactProduct(amount: string, n: number, factor: number): number {
  const decimals = amount.includes('.') && !/[eE]/.test(amount) ? amount.length - amount.indexOf('.') - 1 : 0;
  // A fraction (milli) divides by its whole inverse: -350 / 1000 is -0.35 where -350 × 0.001 is not.
  if (factor < 1) return n / Math.round(1 / factor);
  if (decimals === 0) return n * factor;
  const scaled = Math.round(n * 10 ** decimals);
  const result = (scaled * factor) / 10 ** decimals;
  return result;
}

register('units.parse_bytes', 1, (args) => {
  const raw = str(args, 0).replaceAll('"', '').toLowerCase();
  if (raw.includes(' ')) throw new BuiltinError('spaces not allowed in resource strings');
  const [amount, unit] = splitAmount(raw);
  if (amount === '') throw new BuiltinError('no byte amount provided');
  const decimal: Record<string, number> = { '': 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, p: 1e15, pb: 1e15, e: 1e18, eb: 1e18 };
  let factor = decimal[unit];
  if (factor === undefined) factor = BINARY_UNITS[unit.endsWith('b') ? unit.slice(0, -1) : unit];
  if (factor === undefined) throw new BuiltinError(`byte unit ${unit} not recognized`);
  const n = parseAmount(amount, 'could not parse byte amount to a number');
  return Math.trunc(exactProduct(amount, n, factor));
});
