import { InvalidError } from '../errors.js';
import { newId } from '../ids.js';
import { parseResourceArray } from '../jsonapi/body.js';

/** Key/value tag bindings of projects and workspaces: the rules both share. */

/** A key/value tag; an empty value is a key-only tag. */
export interface TagBindingInput {
  key: string;
  value: string;
}

/** The bindings with new row ids, as both stores insert them. */
export function withBindingIds(bindings: readonly TagBindingInput[]): (TagBindingInput & { id: string })[] {
  return bindings.map((b) => ({ ...b, id: newId('tb') }));
}

/** A project binds at most 10 tags, a workspace 10 of its own (projects.mdx, workspaces.mdx "Add/update tag-bindings"). */
export const MAX_TAG_BINDINGS = 10;

// projects.mdx and workspaces.mdx "Add or update tag bindings": keys up to 128, values up to 256 characters,
// letters, digits and _ . = + - @ :
const KEY = /^[A-Za-z0-9_.=+\-@:]{1,128}$/;
const VALUE = /^[A-Za-z0-9_.=+\-@:]{0,256}$/;
// "You cannot use `hc:` and `hcp:` as key prefixes" (same pages).
const RESERVED_PREFIXES = ['hc:', 'hcp:'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A tag key's characters, length and prefix (shared with reserved tag keys); a 422 at `pointer` otherwise. */
export function validateTagKey(key: unknown, pointer: string): asserts key is string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new InvalidError(`tag key ${JSON.stringify(key ?? null)}: keys are 1 to 128 letters, digits and _ . = + - @ :`, { pointer });
  }
  const reserved = RESERVED_PREFIXES.find((prefix) => key.toLowerCase().startsWith(prefix));
  if (reserved) throw new InvalidError(`tag key ${JSON.stringify(key)}: the prefix "${reserved}" is reserved`, { pointer });
}

/**
 * Reads and checks the tag-binding resource objects of one request (`{ type: "tag-bindings", attributes: { key, value? } }`):
 * characters, lengths, reserved prefixes, each key once, at most MAX_TAG_BINDINGS. Item `i` is at
 * `${pointerPrefix}/${i}`; every failure is a 422 pointing into it. A missing or null value is a key-only tag.
 * @example validateTagBindings(relationships['tag-bindings'].data, '/data/relationships/tag-bindings/data')
 */
export function validateTagBindings(bindings: readonly unknown[], pointerPrefix: string): TagBindingInput[] {
  if (bindings.length > MAX_TAG_BINDINGS) {
    throw new InvalidError(`at most ${MAX_TAG_BINDINGS} tag bindings are allowed`, { pointer: `${pointerPrefix}/${MAX_TAG_BINDINGS}` });
  }
  const seen = new Set<string>();
  return bindings.map((item, index) => {
    const pointer = `${pointerPrefix}/${index}`;
    if (!isObject(item) || item.type !== 'tag-bindings') throw new InvalidError('type must be "tag-bindings"', { pointer: `${pointer}/type` });
    const attributes = isObject(item.attributes) ? item.attributes : {};
    const { key } = attributes;
    const value = attributes.value ?? '';
    validateTagKey(key, `${pointer}/attributes/key`);
    if (seen.has(key)) throw new InvalidError(`tag key ${JSON.stringify(key)} is given twice`, { pointer: `${pointer}/attributes/key` });
    seen.add(key);
    if (typeof value !== 'string' || !VALUE.test(value)) {
      throw new InvalidError(`tag value ${JSON.stringify(value)}: values are at most 256 letters, digits and _ . = + - @ :`, {
        pointer: `${pointer}/attributes/value`,
      });
    }
    return { key, value };
  });
}

/** The checked bindings of a request document `{ "data": [{ "type": "tag-bindings", … }] }`: a wrong shape is a 400, a bad binding a 422. */
export function requestBindings(body: unknown): TagBindingInput[] {
  return validateTagBindings(
    parseResourceArray(body, 'tag-bindings', '', 'bad-request').map(({ item }) => item),
    '/data',
  );
}
