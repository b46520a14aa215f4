import { createHash } from 'node:crypto';
import { InvalidError } from '../errors.js';
import { MAX_STRING_LENGTH } from '../jsonapi/body.js';

/** Pure helpers for the content of a state version: base64 attributes, MD5, output documents. */

/** One output value as a state or `json-state-outputs` records it. */
export interface OutputInput {
  name: string;
  sensitive: boolean;
  value: unknown;
  /** The cty type in JSON form (`"string"`, `["list","number"]`); null when not recorded. */
  detailedType: unknown;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 (what go-tfe sends) to bytes; anything else is a 422 at `pointer`. */
export function decodeBase64(text: string, pointer: string): Buffer {
  // Buffer.from silently skips invalid characters, so the alphabet and padding are checked first.
  if (!BASE64.test(text)) throw new InvalidError('must be base64 encoded (standard alphabet, padded)', { pointer });
  return Buffer.from(text, 'base64');
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(data: Buffer, pointer: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidError('the decoded content is not valid JSON', { pointer });
  }
}

/** A state output entry `{ value, type, sensitive }` (raw state v4 and `json-state-outputs` share the shape), or undefined when malformed. */
/**
 * Longest output name kept: outputs are unique by name in a b-tree index, whose entries are limited to
 * 2,704 bytes (README "Limits"). Terraform output names are identifiers; only a crafted state has longer.
 */
export const MAX_OUTPUT_NAME_LENGTH = MAX_STRING_LENGTH;

/** An output from its state entry; undefined when it is not one, or its name is over MAX_OUTPUT_NAME_LENGTH. */
export function outputFromEntry(name: string, entry: unknown): OutputInput | undefined {
  if (name.length > MAX_OUTPUT_NAME_LENGTH) return undefined;
  if (!isObject(entry) || !('value' in entry)) return undefined;
  if (entry.sensitive !== undefined && typeof entry.sensitive !== 'boolean') return undefined;
  return { name, sensitive: entry.sensitive === true, value: entry.value, detailedType: entry.type ?? null };
}

/**
 * `json-state-outputs`: `{ "<name>": { "sensitive": …, "value": …, "type": <cty type> } }`, as the CLI
 * sends it with sensitive values in clear (cli-protocol.md §5.2).
 */
export function parseOutputsDocument(data: Buffer, pointer: string): OutputInput[] {
  const doc = parseJson(data, pointer);
  if (!isObject(doc)) throw new InvalidError('json-state-outputs must be a JSON object of outputs by name', { pointer });
  return Object.entries(doc).map(([name, entry]) => {
    if (name.length > MAX_OUTPUT_NAME_LENGTH) throw new InvalidError(`output names must be at most ${MAX_OUTPUT_NAME_LENGTH} characters`, { pointer });
    const output = outputFromEntry(name, entry);
    if (!output) throw new InvalidError(`output ${name} must be {"value": …, "type": …, "sensitive": true|false}`, { pointer });
    return output;
  });
}

/** The serial and lineage a raw state records; a 422 at `pointer` when it is not a state document. */
export function stateHeader(data: Buffer, pointer: string): { serial: unknown; lineage: unknown } {
  const doc = parseJson(data, pointer);
  if (!isObject(doc)) throw new InvalidError('state must be a Terraform state document (a JSON object)', { pointer });
  return { serial: doc.serial, lineage: doc.lineage };
}

const COLLECTION_KINDS: Record<string, string> = { list: 'array', set: 'array', tuple: 'array', map: 'object', object: 'object' };
const PRIMITIVES: Record<string, string> = { string: 'string', number: 'number', bool: 'boolean' };

/**
 * The `type` attribute of an output: the JSON kind (`string`, `number`, `boolean`, `array`, `object`),
 * from the cty type when known, else from the value (state-version-outputs.mdx shows a tuple as "array").
 */
export function outputTypeName(detailedType: unknown, value: unknown): string {
  if (typeof detailedType === 'string' && PRIMITIVES[detailedType]) return PRIMITIVES[detailedType] as string;
  if (Array.isArray(detailedType) && typeof detailedType[0] === 'string' && COLLECTION_KINDS[detailedType[0]]) {
    return COLLECTION_KINDS[detailedType[0]] as string;
  }
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'boolean' ? 'boolean' : typeof value === 'object' ? 'object' : typeof value;
}
