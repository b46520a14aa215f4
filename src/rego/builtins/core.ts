/** Operators, comparisons, arithmetic, aggregates, types, and set built-ins. */
import { BuiltinError, RegoError } from '../errors.js';
import { compare, equal, isNumber, normalizeInt, RegoObject, RegoSet, typeName } from '../value.js';
import { bigInt, builtins, exactNum, int, items, operandError, register, set } from './registry.js';

// Comparisons: Rego's total order makes them defined for any two values.
register('equal', 2, ([a, b]) => equal(a!, b!));
register('eq', 2, ([a, b]) => equal(a!, b!));
register('neq', 2, ([a, b]) => !equal(a!, b!));
register('lt', 2, ([a, b]) => compare(a!, b!) < 0);
register('lte', 2, ([a, b]) => compare(a!, b!) <= 0);
register('gt', 2, ([a, b]) => compare(a!, b!) > 0);
register('gte', 2, ([a, b]) => compare(a!, b!) >= 0);

/** Rounds away float noise where both operands were exact decimals (0.1 + 0.2 is 0.3 in OPA). */
function tidy(result: number, ...operands: number[]): number {
  if (Number.isInteger(result) || !Number.isFinite(result)) return result;
  const decimals = Math.max(...operands.map((o) => (Number.isInteger(o) ? 0 : (String(o).split('.')[1]?.length ?? 15))));
  if (decimals > 15) return result;
  const rounded = Number(result.toFixed(Math.min(15, decimals * 2)));
  return Math.abs(rounded - result) < 1e-12 * Math.max(1, Math.abs(result)) ? rounded : result;
}

const isInt = (n: number | bigint) => typeof n === 'bigint' || Number.isInteger(n);

/**
 * Integer arithmetic is exact (as OPA's big numbers are): when an operand or the result leaves
 * the 2^53 range, it is done in bigints. Other arithmetic is in doubles.
 */
function arith(a: number | bigint, b: number | bigint, op: '+' | '-' | '*'): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
    if (Number.isSafeInteger(r) || !Number.isInteger(a) || !Number.isInteger(b)) return tidy(r, a, b);
  }
  if (isInt(a) && isInt(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return normalizeInt(op === '+' ? x + y : op === '-' ? x - y : x * y);
  }
  const x = Number(a);
  const y = Number(b);
  return op === '+' ? x + y : op === '-' ? x - y : x * y;
}

register('plus', 2, (args) => arith(exactNum(args, 0), exactNum(args, 1), '+'));
register('minus', 2, (args) => {
  const [a, b] = args;
  if (a instanceof RegoSet) {
    const x = set(args, 0);
    const y = set(args, 1);
    return RegoSet.from(x.values().filter((v) => !y.has(v)));
  }
  if (!isNumber(a)) throw operandError(1, 'one of {number, set}', a!);
  if (!isNumber(b)) throw operandError(2, 'number', b!);
  return arith(a, b, '-');
});
register('mul', 2, (args) => arith(exactNum(args, 0), exactNum(args, 1), '*'));
register('div', 2, (args) => {
  const a = exactNum(args, 0);
  const b = exactNum(args, 1);
  if (Number(b) === 0) throw new BuiltinError('divide by zero');
  if ((typeof a === 'bigint' || typeof b === 'bigint') && isInt(a) && isInt(b) && BigInt(a) % BigInt(b) === 0n) return normalizeInt(BigInt(a) / BigInt(b));
  return tidy(Number(a) / Number(b), Number(a), Number(b));
});
register('rem', 2, (args) => {
  const a = exactNum(args, 0);
  const b = exactNum(args, 1);
  if (!isInt(a) || !isInt(b)) throw new BuiltinError('modulo on floating-point number');
  if (Number(b) === 0) throw new BuiltinError('modulo by zero');
  if (typeof a === 'bigint' || typeof b === 'bigint') return normalizeInt(BigInt(a) % BigInt(b));
  const r = (a as number) % (b as number);
  return Object.is(r, -0) ? 0 : r;
});
register('abs', 1, (args) => {
  const n = exactNum(args, 0);
  return typeof n === 'bigint' ? (n < 0n ? -n : n) : Math.abs(n);
});
register('round', 1, (args) => {
  const n = exactNum(args, 0);
  if (typeof n === 'bigint') return n;
  return n < 0 ? -Math.round(-n) : Math.round(n);
});
register('ceil', 1, (args) => {
  const n = exactNum(args, 0);
  return typeof n === 'bigint' ? n : Math.ceil(n);
});
register('floor', 1, (args) => {
  const n = exactNum(args, 0);
  return typeof n === 'bigint' ? n : Math.floor(n);
});

register('and', 2, (args) => {
  const a = set(args, 0);
  const b = set(args, 1);
  return RegoSet.from(a.values().filter((v) => b.has(v)));
});
register('or', 2, (args) => {
  const a = set(args, 0);
  const b = set(args, 1);
  return RegoSet.from([...a.values(), ...b.values()]);
});
register('intersection', 1, (args) => {
  const sets = set(args, 0).values();
  if (sets.length === 0) return new RegoSet();
  const all = sets.map((s, i) => {
    if (!(s instanceof RegoSet)) throw operandError(1, 'set of sets', args[0]!);
    return i === 0 ? s : s;
  }) as RegoSet[];
  return RegoSet.from(all[0]!.values().filter((v) => all.every((s) => s.has(v))));
});
register('union', 1, (args) => {
  const out = new RegoSet();
  for (const s of set(args, 0).values()) {
    if (!(s instanceof RegoSet)) throw operandError(1, 'set of sets', args[0]!);
    for (const v of s.values()) out.add(v);
  }
  return out;
});

// Membership: `x in xs` and `k, v in xs`.
register('internal.member_2', 2, ([x, c]) => {
  if (Array.isArray(c)) return c.some((v) => equal(v, x!));
  if (c instanceof RegoSet) return c.has(x!);
  if (c instanceof RegoObject) return c.entries().some(([, v]) => equal(v, x!));
  return false;
});
register('internal.member_3', 3, ([k, x, c]) => {
  if (Array.isArray(c)) return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < c.length && equal(c[k]!, x!);
  if (c instanceof RegoObject) {
    const v = c.get(k!);
    return v !== undefined && equal(v, x!);
  }
  if (c instanceof RegoSet) return equal(k!, x!) && c.has(x!);
  return false;
});

// Aggregates.
register('count', 1, ([v]) => {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof RegoObject || v instanceof RegoSet) return v.size;
  throw operandError(1, 'one of {array, object, set, string}', v!);
});
register('sum', 1, (args) => {
  let total: number | bigint = 0;
  for (const v of items(args, 0)) {
    if (!isNumber(v)) throw operandError(1, 'array of numbers', args[0]!);
    total = arith(total, v, '+');
  }
  return total;
});
register('product', 1, (args) => {
  let total: number | bigint = 1;
  for (const v of items(args, 0)) {
    if (!isNumber(v)) throw operandError(1, 'array of numbers', args[0]!);
    total = arith(total, v, '*');
  }
  return total;
});
register('max', 1, (args) => {
  const list = items(args, 0);
  if (list.length === 0) return undefined;
  return list.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
});
register('min', 1, (args) => {
  const list = items(args, 0);
  if (list.length === 0) return undefined;
  return list.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
});
register('sort', 1, (args) => [...items(args, 0)].sort(compare));
register('all', 1, (args) => items(args, 0).every((v) => v === true));
register('any', 1, (args) => items(args, 0).some((v) => v === true));

// Types.
register('is_number', 1, ([v]) => isNumber(v));
register('is_string', 1, ([v]) => typeof v === 'string');
register('is_boolean', 1, ([v]) => typeof v === 'boolean');
register('is_array', 1, ([v]) => Array.isArray(v));
register('is_set', 1, ([v]) => v instanceof RegoSet);
register('is_object', 1, ([v]) => v instanceof RegoObject);
register('is_null', 1, ([v]) => v === null);
register('type_name', 1, ([v]) => typeName(v!));

register('to_number', 1, ([v]) => {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'string') {
    if (/^[+-]?(inf|infinity|nan)$/i.test(v)) throw new BuiltinError(`operand 1 must be a valid number string but got ${v}`, true);
    const text = v.trim() === v ? v : '';
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(text)) {
      throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    if (/^[+-]?\d+$/.test(text)) return normalizeInt(BigInt(text));
    const n = Number(text);
    if (!Number.isFinite(n)) throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: value out of range`);
    return n;
  }
  throw operandError(1, 'one of {null, boolean, number, string}', v!);
});

/**
 * The most numbers a range may hold. OPA builds any range; a larger one here would hold the evaluation's
 * memory, so it stops the query with a limit error, never an empty (wrong) result.
 */
const MAX_RANGE = 10_000_000;

function rangeTooLarge(name: string): RegoError {
  return new RegoError('eval_limit_error', `${name}: a range of more than ${MAX_RANGE} numbers exceeds the evaluation's limits`);
}

register('numbers.range', 2, (args) => {
  const a = int(args, 0);
  const b = int(args, 1);
  const out: number[] = [];
  if (Math.abs(b - a) >= MAX_RANGE) throw rangeTooLarge('numbers.range');
  if (a <= b) for (let i = a; i <= b; i++) out.push(i);
  else for (let i = a; i >= b; i--) out.push(i);
  return out;
});
register('numbers.range_step', 3, (args) => {
  const a = int(args, 0);
  const b = int(args, 1);
  const step = int(args, 2);
  if (step <= 0) throw new BuiltinError('step must be a positive integer');
  const out: number[] = [];
  if (Math.abs(b - a) / step >= MAX_RANGE) throw rangeTooLarge('numbers.range_step');
  if (a <= b) for (let i = a; i <= b; i += step) out.push(i);
  else for (let i = a; i >= b; i -= step) out.push(i);
  return out;
});

register('print', -1, () => true);
register('trace', 1, () => true);
register('opa.runtime', 0, () => new RegoObject());
register('time.now_ns', 0, (_args, ctx) => Number(ctx.nowNs));
register('rand.intn', 2, (args, ctx) => {
  const seed = args[0]!;
  if (typeof seed !== 'string') throw operandError(1, 'string', seed);
  const n = Math.abs(int(args, 1));
  // The same arguments give the same number within one evaluation, as in OPA.
  const key = `rand.intn:${JSON.stringify([seed, n])}`;
  const cached = ctx.cache.get(key);
  if (typeof cached === 'number') return cached;
  const value = n === 0 ? 0 : Math.floor(Math.random() * n);
  ctx.cache.set(key, value);
  return value;
});

// Bitwise operations on integers of any size.
register('bits.and', 2, (args) => normalizeInt(bigInt(args, 0) & bigInt(args, 1)));
register('bits.or', 2, (args) => normalizeInt(bigInt(args, 0) | bigInt(args, 1)));
register('bits.xor', 2, (args) => normalizeInt(bigInt(args, 0) ^ bigInt(args, 1)));
register('bits.negate', 1, (args) => normalizeInt(~bigInt(args, 0)));
register('bits.lsh', 2, (args) => {
  const shift = bigInt(args, 1);
  if (shift < 0n) throw new BuiltinError('operand 2 must be an unsigned integer number but got a negative integer', true);
  return normalizeInt(bigInt(args, 0) << shift);
});
register('bits.rsh', 2, (args) => {
  const shift = bigInt(args, 1);
  if (shift < 0n) throw new BuiltinError('operand 2 must be an unsigned integer number but got a negative integer', true);
  return normalizeInt(bigInt(args, 0) >> shift);
});

// Built-ins that reach the network or verify signatures with outside keys exist by name (so
// `with http.send as mock` compiles) but refuse to run.
for (const [name, arity] of [
  ['http.send', 1],
  ['net.lookup_ip_addr', 1],
  ['opa.runtime', 0],
] as const) {
  if (!builtins.has(name))
    register(name, arity, () => {
      throw new BuiltinError(`${name} is not supported by this engine`);
    });
}
