/**
 * json.verify_schema and json.match_schema: JSON Schema (draft 4 to 7 keywords) as OPA checks it with
 * gojsonschema, with gojsonschema's error types, wording and field paths.
 */
import { BuiltinError } from '../errors.js';
import { fromJSON, type JSONValue, toJSON, type Value } from '../value.js';
import { operandError, register } from './registry.js';

type Json = JSONValue;

const TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

class SchemaError extends Error {}

/** A schema or document operand: JSON text, or a value taken as JSON. */
function jsonOperand(v: Value, position: number): Json {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as Json;
    } catch (err) {
      throw new BuiltinError((err as Error).message);
    }
  }
  if (v === null || typeof v !== 'object') throw operandError(position, 'one of {string, object}', v);
  return toJSON(v);
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema checks gojsonschema makes before validating anything. */
function checkSchema(schema: Json): void {
  if (typeof schema === 'boolean') return;
  if (!isObject(schema)) throw new SchemaError('Invalid JSON schema: a schema must be an object or a boolean');
  const type = schema.type;
  if (type !== undefined) {
    const names = Array.isArray(type) ? type : [type];
    for (const name of names) {
      if (typeof name !== 'string' || !TYPES.includes(name)) {
        throw new SchemaError(`has a primitive type that is NOT VALID -- given: /${String(name)}/ Expected valid values are:[${TYPES.join(' ')}]`);
      }
    }
  }
  const patterns = [schema.pattern, ...(isObject(schema.patternProperties) ? Object.keys(schema.patternProperties) : [])];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string') continue;
    try {
      new RegExp(pattern, 'u');
    } catch {
      throw new SchemaError(`Invalid regex pattern '${pattern}'`);
    }
  }
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs']) {
    const children = schema[key];
    if (isObject(children)) for (const child of Object.values(children)) checkSchema(child);
  }
  for (const key of ['additionalProperties', 'additionalItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames']) {
    const child = schema[key];
    if (child !== undefined && typeof child !== 'boolean') checkSchema(child);
  }
  const items = schema.items;
  if (Array.isArray(items)) items.forEach(checkSchema);
  else if (items !== undefined) checkSchema(items);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach(checkSchema);
  }
}

interface ResultError {
  type: string;
  field: string;
  desc: string;
}

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(Number(v)) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function deepEqual(a: Json, b: Json): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i] as Json));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k] as Json, b[k] as Json));
  }
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) === Number(b);
  return a === b;
}

function fieldOf(path: string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

function validate(schema: Json, doc: Json, path: string[], root: Json, errors: ResultError[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push({ type: 'false', field: fieldOf(path), desc: 'False always fails validation' });
    return;
  }
  if (!isObject(schema)) return;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    if (target !== undefined) validate(target, doc, path, root, errors);
    return;
  }
  const field = fieldOf(path);
  const add = (type: string, desc: string) => errors.push({ type, field, desc });
  const actual = typeOf(doc);
  if (schema.type !== undefined) {
    const expected = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    const matches = expected.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!matches) {
      add('invalid_type', `Invalid type. Expected: ${expected.join(',')}, given: ${actual}`);
      return;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, doc))) {
    add('enum', `${field} must be one of the following: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (schema.const !== undefined && !deepEqual(schema.const, doc)) add('const', `${field} does not match: ${JSON.stringify(schema.const)}`);
  for (const [key, check] of [
    ['allOf', (n: number, total: number) => n === total],
    ['anyOf', (n: number) => n > 0],
    ['oneOf', (n: number) => n === 1],
  ] as const) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    const passing = list.filter((s) => {
      const sub: ResultError[] = [];
      validate(s, doc, path, root, sub);
      return sub.length === 0;
    }).length;
    if (!check(passing, list.length)) {
      const words = {
        allOf: 'Must validate all the schemas (allOf)',
        anyOf: 'Must validate at least one schema (anyOf)',
        oneOf: 'Must validate one and only one schema (oneOf)',
      };
      add(`number_${key === 'allOf' ? 'all_of' : key === 'anyOf' ? 'any_of' : 'one_of'}`, words[key]);
    }
  }
  if (schema.not !== undefined) {
    const sub: ResultError[] = [];
    validate(schema.not, doc, path, root, sub);
    if (sub.length === 0) add('number_not', 'Must not validate the schema (not)');
  }
  if (actual === 'integer' || actual === 'number') {
    const n = Number(doc);
    if (typeof schema.minimum === 'number') {
      if (schema.exclusiveMinimum === true ? n <= schema.minimum : n < schema.minimum) {
        add(
          schema.exclusiveMinimum === true ? 'number_gt' : 'number_gte',
          `Must be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${schema.minimum}`,
        );
      }
    }
    if (typeof schema.exclusiveMinimum === 'number' && n <= schema.exclusiveMinimum) add('number_gt', `Must be greater than ${schema.exclusiveMinimum}`);
    if (typeof schema.maximum === 'number') {
      if (schema.exclusiveMaximum === true ? n >= schema.maximum : n > schema.maximum) {
        add(
          schema.exclusiveMaximum === true ? 'number_lt' : 'number_lte',
          `Must be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${schema.maximum}`,
        );
      }
    }
    if (typeof schema.exclusiveMaximum === 'number' && n >= schema.exclusiveMaximum) add('number_lt', `Must be less than ${schema.exclusiveMaximum}`);
    if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0 && !Number.isInteger(n / schema.multipleOf))
      add('multiple_of', `Must be a multiple of ${schema.multipleOf}`);
  }
  if (typeof doc === 'string') {
    const length = [...doc].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      add('string_gte', `String length must be greater than or equal to ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) add('string_lte', `String length must be less than or equal to ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(doc)) add('pattern', `Does not match pattern '${schema.pattern}'`);
  }
  if (Array.isArray(doc)) {
    if (typeof schema.minItems === 'number' && doc.length < schema.minItems) add('array_min_items', `Array must have at least ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && doc.length > schema.maxItems) add('array_max_items', `Array must have at most ${schema.maxItems} items`);
    if (schema.uniqueItems === true) {
      doc.forEach((x, i) => {
        const j = doc.findIndex((y, k) => k > i && deepEqual(x, y));
        if (j > i && !doc.slice(0, i).some((y) => deepEqual(x, y))) add('unique', `array items[${i},${j}] must be unique`);
      });
    }
    if (Array.isArray(schema.items)) {
      schema.items.forEach((s, i) => {
        if (i < doc.length) validate(s, doc[i] as Json, [...path, String(i)], root, errors);
      });
      if (schema.additionalItems === false && doc.length > schema.items.length) add('array_no_additional_items', 'No additional items allowed on array');
    } else if (schema.items !== undefined) {
      doc.forEach((x, i) => {
        validate(schema.items as Json, x, [...path, String(i)], root, errors);
      });
    }
  }
  if (isObject(doc)) {
    if (Array.isArray(schema.required)) {
      for (const name of schema.required) if (typeof name === 'string' && !(name in doc)) add('required', `${name} is required`);
    }
    const properties = isObject(schema.properties) ? schema.properties : {};
    const patterns = isObject(schema.patternProperties) ? schema.patternProperties : {};
    for (const [name, value] of Object.entries(doc)) {
      let matched = false;
      if (name in properties) {
        matched = true;
        validate(properties[name] as Json, value, [...path, name], root, errors);
      }
      for (const [pattern, s] of Object.entries(patterns)) {
        if (new RegExp(pattern, 'u').test(name)) {
          matched = true;
          validate(s, value, [...path, name], root, errors);
        }
      }
      if (!matched && schema.additionalProperties !== undefined) {
        if (schema.additionalProperties === false) add('additional_property_not_allowed', `Additional property ${name} is not allowed`);
        else validate(schema.additionalProperties, value, [...path, name], root, errors);
      }
    }
    const count = Object.keys(doc).length;
    if (typeof schema.minProperties === 'number' && count < schema.minProperties)
      add('array_min_properties', `Must have at least ${schema.minProperties} properties`);
    if (typeof schema.maxProperties === 'number' && count > schema.maxProperties)
      add('array_max_properties', `Must have at most ${schema.maxProperties} properties`);
  }
}

/** A local reference (`#`, `#/definitions/x`); others are not followed. */
function resolveRef(root: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: Json | undefined = root;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((p) => p !== '')) {
    const part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    node = isObject(node) ? node[part] : Array.isArray(node) ? node[Number(part)] : undefined;
  }
  return node;
}

register('json.verify_schema', 1, ([v]) => {
  try {
    checkSchema(jsonOperand(v as Value, 1));
    return [true, null];
  } catch (err) {
    if (err instanceof SchemaError || err instanceof BuiltinError) return [false, `jsonschema: ${err.message}`];
    throw err;
  }
});

register('json.match_schema', 2, ([d, s]) => {
  const doc = jsonOperand(d as Value, 1);
  const schema = jsonOperand(s as Value, 2);
  try {
    checkSchema(schema);
  } catch (err) {
    if (err instanceof SchemaError) throw new BuiltinError(err.message);
    throw err;
  }
  const errors: ResultError[] = [];
  validate(schema, doc, [], schema, errors);
  return [errors.length === 0, errors.map((e) => fromJSON({ error: `${e.field}: ${e.desc}`, type: e.type, field: e.field, desc: e.desc }))];
});
