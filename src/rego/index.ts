/**
 * A Rego interpreter: `evaluate(modules, query, { input, data }, limits)` compiles the modules,
 * runs the query top-down and returns its results as OPA does, or OPA-style errors.
 * Self-contained: nothing here imports the rest of the server.
 */
import type { Module } from './ast.js';
import { Compiler } from './compiler.js';
import { RegoError, type RegoErrorCode } from './errors.js';
import { Evaluation } from './eval.js';
import type { EvalLimits } from './eval-terms.js';
import { parseModule, parseQuery } from './parser.js';
import { fromJSON, type JSONValue, RegoObject, RegoSet, toJSON, type Value } from './value.js';

export type { JSONValue, Value } from './value.js';
export { RegoObject, RegoSet } from './value.js';

export interface RegoModule {
  /** A file name, used in error locations (`policy.rego:3: …`). */
  name: string;
  source: string;
}

export interface EvaluateDocuments {
  /** The input document: JSON, or Rego values (sets) as `parseValue` returns them. */
  input?: unknown;
  /** Base documents under `data`. */
  data?: unknown;
}

export interface Limits {
  /** Evaluation steps before the query fails with eval_limit_error. Default 10 million. */
  maxSteps?: number;
  /** Nested rule and function evaluations before the query fails. Default 1,000. */
  maxDepth?: number;
  /** Built-in errors stop the query (OPA's strict-builtin-errors); otherwise they make it undefined. */
  strictBuiltinErrors?: boolean;
}

export interface RegoErrorDetail {
  code: RegoErrorCode;
  message: string;
  location?: { file: string; row: number; col: number };
}

/** One solution of the query: the value of each expression and the query variables' bindings. */
export interface ResultRow {
  expressions: JSONValue[];
  bindings: Record<string, JSONValue>;
}

export type EvaluateOutcome = { result: ResultRow[] } | { errors: RegoErrorDetail[] };

const DEFAULT_LIMITS: EvalLimits = { maxSteps: 10_000_000, maxDepth: 1_000, strictBuiltinErrors: false };

function toValue(document: unknown): Value {
  if (document instanceof RegoObject || document instanceof RegoSet) return document;
  return fromJSON(document);
}

function detail(err: RegoError): RegoErrorDetail {
  return { code: err.code, message: err.message, ...(err.location ? { location: err.location } : {}) };
}

export function evaluate(modules: readonly RegoModule[], query: string, documents: EvaluateDocuments = {}, limits: Limits = {}): EvaluateOutcome {
  try {
    const parsed: Module[] = modules.map((m) => parseModule(m.source, m.name));
    const compiler = new Compiler();
    const policy = compiler.compile(parsed);
    const compiledQuery = compiler.compileQuery(parseQuery(query));
    const evaluation = new Evaluation(policy, documents.input === undefined ? undefined : toValue(documents.input), toValue(documents.data ?? {}), {
      maxSteps: limits.maxSteps ?? DEFAULT_LIMITS.maxSteps,
      maxDepth: limits.maxDepth ?? DEFAULT_LIMITS.maxDepth,
      strictBuiltinErrors: limits.strictBuiltinErrors ?? DEFAULT_LIMITS.strictBuiltinErrors,
    });
    const result: ResultRow[] = [];
    evaluation.runQuery(compiledQuery.body, (frame, values) => {
      const bindings: Record<string, JSONValue> = {};
      for (const name of compiledQuery.vars) {
        const value = frame.get(name);
        if (value !== undefined) bindings[name] = toJSON(value);
      }
      result.push({ expressions: values.map(toJSON), bindings });
    });
    return { result };
  } catch (err) {
    if (err instanceof RegoError) return { errors: [detail(err)] };
    if (err instanceof RangeError) return { errors: [{ code: 'eval_limit_error', message: `evaluation exceeded the stack: ${err.message}` }] };
    return { errors: [{ code: 'eval_internal_error', message: err instanceof Error ? err.message : String(err) }] };
  }
}

/** A Rego term of constants (`{"a", 1}`, `{"x": set()}`) as a value: for inputs that hold sets. */
export function parseValue(text: string): Value {
  const outcome = evaluate([], `__value__ = ${text}`);
  if ('errors' in outcome) throw new RegoError(outcome.errors[0]!.code, outcome.errors[0]!.message);
  const compiler = new Compiler();
  const compiled = compiler.compileQuery(parseQuery(`__value__ = ${text}`));
  let value: Value | undefined;
  new Evaluation(compiler.compile([]), undefined, new RegoObject(), DEFAULT_LIMITS).runQuery(compiled.body, (frame) => {
    value = frame.get('__value__');
  });
  if (value === undefined) throw new RegoError('rego_type_error', 'term has no value');
  return value;
}
