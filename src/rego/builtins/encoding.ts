/** JSON, YAML, base64, hex and URL encodings. */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { BuiltinError } from '../errors.js';
import { fromJSON, type JSONValue, RegoObject, toJSON, type Value } from '../value.js';
import { obj, operandError, register, str } from './registry.js';

/** Go's json.Marshal: sorted keys, no spaces, and <, >, & escaped as Go escapes them for HTML. */
export function goJSON(value: Value, indent?: { prefix: string; indent: string }): string {
  const json = toJSON(value);
  // Bigints are written out in full: a marker string, unquoted afterwards.
  const replacer = (_key: string, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v}` : v);
  const raw = indent ? JSON.stringify(json, replacer, indent.indent) : JSON.stringify(json, replacer);
  const text = raw.replace(/"\\u0000big:(-?\d+)"/g, '$1');
  let out = text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (indent?.prefix) out = out.split('\n').join(`\n${indent.prefix}`);
  return out;
}

register('json.marshal', 1, ([v]) => goJSON(v!));
register('json.marshal_with_options', 2, (args) => {
  const options = obj(args, 1);
  let prefix = '';
  let indent = '\t';
  let pretty = false;
  for (const [k, v] of options.entries()) {
    if (k === 'pretty') {
      if (typeof v !== 'boolean') throw new BuiltinError('pretty option must be a boolean', true);
      pretty = v;
    } else if (k === 'prefix') {
      if (typeof v !== 'string') throw new BuiltinError('prefix option must be a string', true);
      prefix = v;
      pretty = pretty || options.get('pretty') === undefined;
    } else if (k === 'indent') {
      if (typeof v !== 'string') throw new BuiltinError('indent option must be a string', true);
      indent = v;
      pretty = pretty || options.get('pretty') === undefined;
    } else throw new BuiltinError(`object contained unknown key ${JSON.stringify(k)}`, true);
  }
  if (options.get('pretty') === false) pretty = false;
  if (!pretty) return goJSON(args[0]!);
  return prefix + goJSON(args[0]!, { prefix, indent });
});

function parseJSON(text: string): Value {
  try {
    return fromJSON(JSON.parse(text) as unknown);
  } catch (err) {
    throw new BuiltinError(err instanceof Error ? err.message : 'invalid JSON');
  }
}

register('json.unmarshal', 1, (args) => parseJSON(str(args, 0)));
register('json.is_valid', 1, ([v]) => {
  if (typeof v !== 'string') return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
});

/** go-yaml's wording where it differs: an unclosed flow collection is "did not find expected ',' or ']'". */
function yamlErrorText(err: unknown): string {
  if (!(err instanceof Error)) return 'yaml: invalid YAML';
  const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
  const unclosed = /^Flow (sequence|map) must end with a [\]}]/.exec(err.message);
  if (unclosed && line !== undefined) return `yaml: line ${line}: did not find expected ',' or '${unclosed[1] === 'map' ? '}' : ']'}'`;
  return `yaml: ${err.message}`;
}

register('yaml.marshal', 1, ([v]) => stringifyYaml(toJSON(v!)));
register('yaml.unmarshal', 1, (args) => {
  try {
    return fromJSON(parseYaml(str(args, 0)) as JSONValue);
  } catch (err) {
    throw new BuiltinError(yamlErrorText(err));
  }
});
register('yaml.is_valid', 1, ([v]) => {
  if (typeof v !== 'string') return false;
  try {
    parseYaml(v);
    return true;
  } catch {
    return false;
  }
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

register('base64.encode', 1, (args) => Buffer.from(str(args, 0), 'utf8').toString('base64'));
register('base64.decode', 1, (args) => {
  const s = str(args, 0);
  if (!BASE64.test(s) || s.length % 4 !== 0) throw new BuiltinError('illegal base64 data at input byte 0');
  return Buffer.from(s, 'base64').toString('utf8');
});
register('base64.is_valid', 1, (args) => {
  const s = str(args, 0);
  return BASE64.test(s) && s.length % 4 === 0;
});
register('base64url.encode', 1, (args) => {
  const b64 = Buffer.from(str(args, 0), 'utf8').toString('base64url');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
});
register('base64url.encode_no_pad', 1, (args) => Buffer.from(str(args, 0), 'utf8').toString('base64url'));
register('base64url.decode', 1, (args) => {
  const s = str(args, 0);
  if (!BASE64URL.test(s) || s.length % 4 === 1) throw new BuiltinError('illegal base64 data at input byte 0');
  return Buffer.from(s, 'base64url').toString('utf8');
});
register('hex.encode', 1, (args) => Buffer.from(str(args, 0), 'utf8').toString('hex'));
register('hex.decode', 1, (args) => {
  const s = str(args, 0);
  const bad = s.search(/[^0-9a-fA-F]/);
  if (bad >= 0)
    throw new BuiltinError(
      `encoding/hex: invalid byte: U+00${s.charCodeAt(bad).toString(16).toUpperCase().padStart(2, '0')} ${JSON.stringify(s[bad]).replaceAll('"', "'")}`,
    );
  if (s.length % 2 !== 0) throw new BuiltinError('encoding/hex: odd length hex string');
  return Buffer.from(s, 'hex').toString('utf8');
});

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%7E/g, '~');
}

function queryUnescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new BuiltinError('invalid URL escape');
  }
}

register('urlquery.encode', 1, (args) => queryEscape(str(args, 0)));
register('urlquery.decode', 1, (args) => queryUnescape(str(args, 0)));
register('urlquery.encode_object', 1, (args) => {
  const parts: string[] = [];
  for (const [k, v] of obj(args, 0).entries()) {
    if (typeof k !== 'string') throw operandError(1, 'object with string keys', args[0]!);
    const values =
      typeof v === 'string' ? [v] : Array.isArray(v) ? v : v instanceof Object && 'values' in v && !(v instanceof RegoObject) ? v.values() : undefined;
    if (!values) throw operandError(1, 'object of strings, arrays or sets', args[0]!);
    for (const item of values) {
      if (typeof item !== 'string') throw operandError(1, 'object of strings, arrays or sets of strings', args[0]!);
      parts.push(`${queryEscape(k)}=${queryEscape(item)}`);
    }
  }
  return parts.join('&');
});
register('urlquery.decode_object', 1, (args) => {
  const out = new RegoObject();
  for (const part of str(args, 0).split(/[&;]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : queryUnescape(part.slice(eq + 1));
    const list = (out.get(key) as Value[] | undefined) ?? [];
    out.set(key, [...list, value]);
  }
  return out;
});
