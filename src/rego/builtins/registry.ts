import { BuiltinError } from '../errors.js';
import { RegoObject, RegoSet, typeName, type Value } from '../value.js';

/** State built-ins share within one evaluation. */
export interface BuiltinContext {
  /** `time.now_ns()`: one instant for the whole evaluation, as OPA does. */
  nowNs: bigint;
  /** Compiled regular expressions and the like, by built-in and pattern. */
  cache: Map<string, unknown>;
}

export interface Builtin {
  /** Number of operands; -1 for variadic (print). */
  arity: number;
  /** The result; undefined leaves the expression undefined. Relations return every result as an array. */
  fn: (args: Value[], ctx: BuiltinContext) => Value | undefined;
  /** A relation (`walk`) yields several results. */
  relation?: boolean;
}

export const builtins = new Map<string, Builtin>();

export function register(name: string, arity: number, fn: Builtin['fn'], relation = false): void {
  builtins.set(name, { arity, fn, relation });
}

export function builtinArity(name: string): number | undefined {
  const builtin = builtins.get(name);
  if (!builtin) return undefined;
  return builtin.arity;
}

export function operandError(position: number, expected: string, got: Value): BuiltinError {
  return new BuiltinError(`operand ${position} must be ${expected} but got ${typeName(got)}`, true);
}

export function str(args: Value[], i: number): string {
  const v = args[i]!;
  if (typeof v !== 'string') throw operandError(i + 1, 'string', v);
  return v;
}

/** A number operand as a double (integers beyond 2^53 lose digits: use bigNum where that matters). */
export function num(args: Value[], i: number): number {
  const v = args[i]!;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number') throw operandError(i + 1, 'number', v);
  return v;
}

/** A number operand exactly: bigints as they are. */
export function exactNum(args: Value[], i: number): number | bigint {
  const v = args[i]!;
  if (typeof v !== 'number' && typeof v !== 'bigint') throw operandError(i + 1, 'number', v);
  return v;
}

/** An integer operand as a bigint. */
export function bigInt(args: Value[], i: number): bigint {
  const v = exactNum(args, i);
  if (typeof v === 'bigint') return v;
  if (!Number.isInteger(v)) throw new BuiltinError(`operand ${i + 1} must be integer number but got floating-point number`, true);
  return BigInt(v);
}

export function int(args: Value[], i: number): number {
  const v = num(args, i);
  if (!Number.isInteger(v)) throw new BuiltinError(`operand ${i + 1} must be integer number but got floating-point number`, true);
  return v;
}

export function arr(args: Value[], i: number): Value[] {
  const v = args[i]!;
  if (!Array.isArray(v)) throw operandError(i + 1, 'array', v);
  return v;
}

export function obj(args: Value[], i: number): RegoObject {
  const v = args[i]!;
  if (!(v instanceof RegoObject)) throw operandError(i + 1, 'object', v);
  return v;
}

export function set(args: Value[], i: number): RegoSet {
  const v = args[i]!;
  if (!(v instanceof RegoSet)) throw operandError(i + 1, 'set', v);
  return v;
}

export function bool(args: Value[], i: number): boolean {
  const v = args[i]!;
  if (typeof v !== 'boolean') throw operandError(i + 1, 'boolean', v);
  return v;
}

/** The elements of an array or set operand. */
export function items(args: Value[], i: number, expected = 'one of {array, set}'): Value[] {
  const v = args[i]!;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.values();
  throw operandError(i + 1, expected, v);
}
