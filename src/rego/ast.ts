/** The syntax tree the parser produces and the compiler rewrites in place. */

export interface Location {
  file: string;
  row: number;
  col: number;
}

export type Scalar = null | boolean | number | bigint | string;

export type Term =
  | { type: 'scalar'; value: Scalar; loc?: Location }
  | { type: 'var'; name: string; loc?: Location }
  | { type: 'ref'; head: Term; path: Term[]; loc?: Location }
  | { type: 'array'; items: Term[]; loc?: Location }
  | { type: 'object'; entries: [Term, Term][]; loc?: Location }
  | { type: 'set'; items: Term[]; loc?: Location }
  /** `single`: a template expression with `with` modifiers, whose one value (none: undefined) is wanted, not the array. */
  | { type: 'arraycompr'; term: Term; body: Expr[]; single?: boolean; loc?: Location }
  | { type: 'setcompr'; term: Term; body: Expr[]; loc?: Location }
  | { type: 'objectcompr'; key: Term; value: Term; body: Expr[]; loc?: Location }
  /** `name` is the dotted function name as written, e.g. `object.get` or `data.lib.f`. */
  | { type: 'call'; name: string; args: Term[]; loc?: Location }
  | { type: 'template'; parts: (string | Term)[]; loc?: Location };

export interface WithModifier {
  /** The target as written: `input`, `input.x`, `data.a.b` or a function name. */
  target: Term;
  value: Term;
}

export type ExprBody =
  | { kind: 'term'; term: Term }
  | { kind: 'unify'; left: Term; right: Term; assign: boolean }
  | { kind: 'some'; vars: string[] }
  | { kind: 'somein'; key?: Term; value: Term; collection: Term }
  | { kind: 'every'; key?: Term; value: Term; domain: Term; body: Expr[] };

export type Expr = ExprBody & {
  negated: boolean;
  with: WithModifier[];
  loc: Location;
};

export interface RuleHead {
  /** The head reference: the rule name first, then `.x`, `[x]` parts (ref heads, partial keys). */
  ref: Term[];
  args?: Term[];
  /** For `contains`: the member term. */
  member?: Term;
  value?: Term;
  assign: boolean;
}

export interface Rule {
  head: RuleHead;
  body: Expr[];
  isDefault: boolean;
  /** `else` alternatives, tried in order when the body has no solution. */
  elses: { value?: Term; body: Expr[]; loc: Location }[];
  loc: Location;
  /** v0 `p[x] { … }` is a partial set; v1 makes it an object with value true. */
  v0SetHead: boolean;
  /** The `# METADATA` block right before the rule. */
  annotations?: Annotations;
}

export interface Import {
  path: Term; // a ref: data.x.y or input.x
  alias?: string;
  loc: Location;
}

export interface Module {
  file: string;
  packagePath: string[];
  imports: Import[];
  rules: Rule[];
  /** The `# METADATA` block before `package`, as rego.metadata.* return it. */
  annotations?: Annotations;
}

/** A `# METADATA` block's YAML, normalized as OPA does (scope set, authors as objects). */
export type Annotations = Record<string, unknown>;
