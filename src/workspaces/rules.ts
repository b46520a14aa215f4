import { InvalidError } from '../errors.js';
import { MAX_TAG_BINDINGS } from '../projects/tag-bindings.js';

/** Pure workspace rules: names, versions, durations, tags and tag bindings. */

export const ATTRIBUTES = '/data/attributes';

export type ExecutionMode = 'remote' | 'local' | 'agent';

/** Letters, digits, `-` and `_` (workspaces.mdx "Create a Workspace"); TFE's limit is 90 characters. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,90}$/;

export function validateName(name: string, pointer = `${ATTRIBUTES}/name`): void {
  if (!NAME_PATTERN.test(name)) throw new InvalidError('name must be 1 to 90 characters: letters, digits, "-" and "_"', { pointer });
}

const VERSION = String.raw`v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?`;
const EXACT_VERSION = new RegExp(`^${VERSION}$`);
const CONSTRAINT = new RegExp(String.raw`^\s*(=|!=|>|>=|<|<=|~>)?\s*${VERSION}\s*$`);

/** An exact version, `latest`, or a version constraint such as `~> 1.0.0` or `>= 1.2, < 2.0` (workspaces.mdx). */
export function validateTerraformVersion(version: string): void {
  if (version === 'latest' || EXACT_VERSION.test(version)) return;
  const parts = version.split(',');
  if (version.trim() !== '' && parts.every((part) => CONSTRAINT.test(part))) return;
  throw new InvalidError(`terraform-version ${JSON.stringify(version)} is not a version, "latest" or a version constraint such as "~> 1.11.0"`, {
    pointer: `${ATTRIBUTES}/terraform-version`,
  });
}

/** "greater than 0 and four digits or less", units `d` or `h` (workspaces.mdx). */
export function validateAutoDestroyDuration(duration: string): void {
  if (!/^[1-9]\d{0,3}[dh]$/.test(duration)) {
    throw new InvalidError('auto-destroy-activity-duration must be 1 to 4 digits followed by d or h, such as "14d"', {
      pointer: `${ATTRIBUTES}/auto-destroy-activity-duration`,
    });
  }
}

const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;

export function parseTimestamp(raw: string, pointer: string): Date {
  const date = new Date(raw);
  if (!ISO_8601.test(raw) || Number.isNaN(date.getTime())) {
    throw new InvalidError('must be an ISO 8601 date and time, such as 2030-04-06T12:00:00Z', { pointer });
  }
  return date;
}

/** Flat tags: letters, digits, colons, hyphens and underscores, 1 to 255 characters (concepts/workspaces/tags.mdx "Tag syntax"). */
const TAG_NAME = /^[A-Za-z0-9:_-]{1,255}$/;

export function validateTagName(name: string, pointer: string): void {
  if (!TAG_NAME.test(name)) throw new InvalidError(`tag ${JSON.stringify(name)}: tags are 1 to 255 letters, digits, ":", "-" and "_"`, { pointer });
}

/** Bindings a workspace would have after an additive change: its own keys plus the new ones. */
export function tooManyBindings(pointer: string): InvalidError {
  return new InvalidError(`a workspace can have at most ${MAX_TAG_BINDINGS} tag bindings of its own`, { pointer });
}

/** `*` at either end (or both) of `search[wildcard-name]` as a LIKE pattern; other characters match themselves. */
export function wildcardPattern(search: string): string {
  return search.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/** A LIKE pattern matching `text` anywhere. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
