/**
 * Rego values. Scalars and arrays are plain JS values; objects and sets are classes because their
 * keys and members may be any value (compared structurally), not only strings.
 *
 * Objects and sets iterate in Rego's sort order, as OPA's do, so comprehensions and built-ins that
 * walk them produce the same array order as OPA.
 */
export type Value = null | boolean | number | bigint | string | Value[] | RegoObject | RegoSet;

/**
 * Integers beyond 2^53 are bigints so they keep every digit (nanosecond times, serial numbers);
 * every other number is a JS number. `normalizeInt` keeps that invariant.
 */
export function normalizeInt(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

export function isNumber(v: Value | undefined): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Canonical text of a number: integers beyond 2^53 written out in full whatever their type. */
function numberKey(n: number | bigint): string {
  if (typeof n === 'bigint') return `#${n}`;
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return `#${BigInt(n)}`;
  return `#${Object.is(n, -0) ? 0 : n}`;
}

export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === 'bigint' ? a : Number.isInteger(a) ? BigInt(a) : undefined;
  const y = typeof b === 'bigint' ? b : Number.isInteger(b) ? BigInt(b) : undefined;
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  const fx = Number(a);
  const fy = Number(b);
  return fx < fy ? -1 : fx > fy ? 1 : 0;
}

/** The canonical text of a value: equal values (1 and 1.0 included) have the same key. */
export function keyOf(value: Value): string {
  if (value === null) return 'n';
  switch (typeof value) {
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
    case 'bigint':
      return numberKey(value);
    case 'string':
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(keyOf).join(',')}]`;
  if (value instanceof RegoSet) return `<${value.sortedKeys().join(',')}>`;
  const parts: string[] = [];
  for (const [k, v] of value.entries()) parts.push(`${keyOf(k)}:${keyOf(v)}`);
  return `{${parts.join(',')}}`;
}

function typeRank(value: Value): number {
  if (value === null) return 0;
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
  }
  if (Array.isArray(value)) return 6;
  if (value instanceof RegoObject) return 7;
  return 8;
}

/** Strings compare by UTF-8 bytes in Go; comparing code points gives the same order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Rego's total order: null < booleans < numbers < strings < arrays < objects < sets. */
export function compare(a: Value, b: Value): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      return compareNumbers(a as number | bigint, b as number | bigint);
    case 3:
      return compareStrings(a as string, b as string);
    case 6: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 7: {
      const x = (a as RegoObject).entries();
      const y = (b as RegoObject).entries();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const kc = compare(x[i]![0], y[i]![0]);
        if (kc !== 0) return kc;
        const vc = compare(x[i]![1], y[i]![1]);
        if (vc !== 0) return vc;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    default: {
      const x = (a as RegoSet).values();
      const y = (b as RegoSet).values();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
  }
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if ((ta === 'number' || ta === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return compareNumbers(a as number | bigint, b) === 0;
    return false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i]!, b[i]!)) return false;
    return true;
  }
  if (a instanceof RegoObject) {
    if (!(b instanceof RegoObject) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const other = b.get(k);
      if (other === undefined || !equal(v, other)) return false;
    }
    return true;
  }
  const set = a as RegoSet;
  if (!(b instanceof RegoSet) || set.size !== b.size) return false;
  for (const v of set.values()) if (!b.has(v)) return false;
  return true;
}

/**
 * An object; string keys (nearly all of them) skip the canonical-key encoding. One made from JSON
 * converts its members on first use, one level at a time, so that the parts of a large input (a plan)
 * a policy never reads are never converted.
 */
export class RegoObject {
  private readonly byString = new Map<string, Value>();
  private byKey: Map<string, [Value, Value]> | undefined;
  private sorted: [Value, Value][] | undefined;
  private pending: Record<string, unknown> | undefined;

  static from(entries: Iterable<readonly [Value, Value]>): RegoObject {
    const obj = new RegoObject();
    for (const [k, v] of entries) obj.set(k, v);
    return obj;
  }

  /** An object of a JSON object (as JSON.parse returns it), which must not change afterwards. */
  static ofJSON(json: Record<string, unknown>): RegoObject {
    const obj = new RegoObject();
    obj.pending = json;
    return obj;
  }

  /** Leaves the JSON behind: every member converted (their own members stay pending). */
  private load(): void {
    const json = this.pending as Record<string, unknown>;
    this.pending = undefined;
    for (const key of Object.keys(json)) this.byString.set(key, this.byString.get(key) ?? fromJSON(json[key]));
  }

  get size(): number {
    if (this.pending) this.load();
    return this.byString.size + (this.byKey?.size ?? 0);
  }

  get(key: Value): Value | undefined {
    const json = this.pending;
    if (json) {
      // One member read from the JSON; an object or array is converted once and kept.
      if (typeof key !== 'string' || !Object.hasOwn(json, key)) return undefined;
      const raw = json[key];
      if (raw === null || typeof raw !== 'object') return fromJSON(raw);
      let converted = this.byString.get(key);
      if (converted === undefined) {
        converted = fromJSON(raw);
        this.byString.set(key, converted);
      }
      return converted;
    }
    if (typeof key === 'string') return this.byString.get(key);
    return this.byKey?.get(keyOf(key))?.[1];
  }

  has(key: Value): boolean {
    return this.get(key) !== undefined;
  }

  set(key: Value, value: Value): void {
    if (this.pending) this.load();
    this.sorted = undefined;
    if (typeof key === 'string') this.byString.set(key, value);
    else {
      this.byKey ??= new Map();
      this.byKey.set(keyOf(key), [key, value]);
    }
  }

  delete(key: Value): void {
    if (this.pending) this.load();
    this.sorted = undefined;
    if (typeof key === 'string') this.byString.delete(key);
    else this.byKey?.delete(keyOf(key));
  }

  /** The entries in key order. The array is shared: do not modify it. */
  entries(): [Value, Value][] {
    if (this.pending) this.load();
    if (!this.sorted) {
      const list: [Value, Value][] = [];
      for (const [k, v] of this.byString) list.push([k, v]);
      if (this.byKey) for (const entry of this.byKey.values()) list.push(entry);
      list.sort((x, y) => compare(x[0], y[0]));
      this.sorted = list;
    }
    return this.sorted;
  }

  keys(): Value[] {
    return this.entries().map((e) => e[0]);
  }

  copy(): RegoObject {
    return RegoObject.from(this.entries());
  }
}

export class RegoSet {
  private readonly members = new Map<string, Value>();
  private sorted: Value[] | undefined;
  private sortedKeyList: string[] | undefined;

  static from(values: Iterable<Value>): RegoSet {
    const set = new RegoSet();
    for (const v of values) set.add(v);
    return set;
  }

  get size(): number {
    return this.members.size;
  }

  has(value: Value): boolean {
    return this.members.has(keyOf(value));
  }

  add(value: Value): void {
    const key = keyOf(value);
    if (this.members.has(key)) return;
    this.sorted = undefined;
    this.sortedKeyList = undefined;
    this.members.set(key, value);
  }

  /** The members in sort order. The array is shared: do not modify it. */
  values(): Value[] {
    if (!this.sorted) this.sorted = [...this.members.values()].sort(compare);
    return this.sorted;
  }

  sortedKeys(): string[] {
    if (!this.sortedKeyList) this.sortedKeyList = this.values().map(keyOf);
    return this.sortedKeyList;
  }
}

export function typeName(value: Value): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
  }
  if (Array.isArray(value)) return 'array';
  if (value instanceof RegoObject) return 'object';
  return 'set';
}

/** A JSON value (as JSON.parse or a YAML parser returns it) as a Rego value. */
export function fromJSON(json: unknown): Value {
  if (json === null || json === undefined) return null;
  if (json instanceof RegoObject || json instanceof RegoSet) return json;
  switch (typeof json) {
    case 'boolean':
    case 'number':
    case 'string':
      return json;
    case 'bigint':
      return normalizeInt(json);
  }
  if (Array.isArray(json)) return json.map(fromJSON);
  if (json instanceof Map) {
    const obj = new RegoObject();
    for (const [k, v] of json) obj.set(fromJSON(k), fromJSON(v));
    return obj;
  }
  return RegoObject.ofJSON(json as Record<string, unknown>);
}

/** JSON as results carry it; integers beyond 2^53 stay bigints so no digit is lost. */
export type JSONValue = null | boolean | number | bigint | string | JSONValue[] | { [key: string]: JSONValue };

/** A value as JSON, as OPA returns results: sets become sorted arrays, non-string keys their text. */
export function toJSON(value: Value): JSONValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toJSON);
  if (value instanceof RegoSet) return value.values().map(toJSON);
  const out: { [key: string]: JSONValue } = {};
  for (const [k, v] of value.entries())
    out[typeof k === 'string' ? k : typeof k === 'object' && k !== null ? JSON.stringify(toJSON(k)) : String(k)] = toJSON(v);
  return out;
}

/** Go's strconv formatting of a float64 with 'g'-like shortest representation, as OPA prints numbers. */
export function formatNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const text = String(n);
  // JS writes 1e+21 like Go does, but 1e-7 as 1e-7 where Go writes 1e-07.
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A value as Rego source text: strings quoted, sets as {…} or set(). */
export function toRegoString(value: Value): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
    case 'bigint':
      return formatNumber(value);
    case 'string':
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(toRegoString).join(', ')}]`;
  if (value instanceof RegoSet) return value.size === 0 ? 'set()' : `{${value.values().map(toRegoString).join(', ')}}`;
  return `{${value
    .entries()
    .map(([k, v]) => `${toRegoString(k)}: ${toRegoString(v)}`)
    .join(', ')}}`;
}
