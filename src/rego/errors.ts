import type { Location } from './ast.js';

/** The error codes OPA reports; the conformance cases compare them. */
export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_compile_error'
  | 'rego_type_error'
  | 'rego_unsafe_var_error'
  | 'rego_recursion_error'
  | 'eval_conflict_error'
  | 'eval_type_error'
  | 'eval_builtin_error'
  | 'eval_cancel_error'
  | 'eval_internal_error'
  | 'eval_limit_error';

export class RegoError extends Error {
  constructor(
    readonly code: RegoErrorCode,
    message: string,
    readonly location?: Location,
  ) {
    super(message);
  }

  /** As OPA prints an error: `file:row: code: message`. */
  override toString(): string {
    const where = this.location ? `${this.location.file}:${this.location.row}: ` : '';
    return `${where}${this.code}: ${this.message}`;
  }
}

/**
 * Thrown by a built-in; the evaluator prefixes the built-in's name and turns it into an
 * eval_type_error (operand errors) or eval_builtin_error, or into undefined when errors are not strict.
 */
export class BuiltinError extends Error {
  constructor(
    message: string,
    readonly typeError = false,
  ) {
    super(message);
  }
}

/** Thrown by a built-in that leaves its expression undefined (no error, no value). */
export class BuiltinUndefined extends Error {}
