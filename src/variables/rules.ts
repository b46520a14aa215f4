import { randomBytes } from 'node:crypto';
import { type SealingKeys, seal } from '../crypto/sealing.js';
import { InvalidError } from '../errors.js';
import type { SealedValue, VariableAttributes, VariableCategory, VariableFields } from './variable-rows.js';

/**
 * The rules of a variable's attributes, for workspace variables and variable-set variables alike.
 * Each check takes the JSON pointer of the attributes object, because a set's variables may also
 * arrive nested in the set's own document.
 */

/** A variable's attributes as a request gives them (workspace-variables.mdx, variable-sets.mdx "Add Variable"). */
export interface VariableInput {
  key: string;
  value?: string | null | undefined;
  description?: string | null | undefined;
  /** Validated here: `terraform` or `env`. */
  category: string;
  hcl?: boolean | undefined;
  sensitive?: boolean | undefined;
}

/** Every attribute is optional; an absent one keeps its value. */
export type UpdateVariableInput = Partial<VariableInput>;

export const ATTRIBUTES_POINTER = '/data/attributes';

// Limits from concepts/workspaces/variables/managing-variables.mdx "Character Limits".
const MAX_KEY_LENGTH = 128;
const MAX_DESCRIPTION_LENGTH = 512;
export const MAX_VALUE_BYTES = 256 * 1024;

/** Terraform identifiers: a letter or `_`, then letters, digits, `_` and `-` (Unicode letters included, as in HCL). */
const TERRAFORM_IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u;
/** Control characters: no key holds one. */
const CONTROL = /\p{Cc}/u;

/** Whether `key` may name a variable in HCL (a `.tfvars` file); other terraform keys go to a JSON var file. */
export function isTerraformIdentifier(key: string): boolean {
  return TERRAFORM_IDENTIFIER.test(key);
}
/** POSIX shell environment names: the runner `export`s env variables (concepts/workspaces/variables). */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateCategory(category: string, at = ATTRIBUTES_POINTER): VariableCategory {
  if (category !== 'terraform' && category !== 'env') throw new InvalidError('category must be "terraform" or "env"', { pointer: `${at}/category` });
  return category;
}

export function validateKey(key: string, category: VariableCategory, at = ATTRIBUTES_POINTER): string {
  const pointer = { pointer: `${at}/key` };
  if (key === '') throw new InvalidError('key is required', pointer);
  if (key.length > MAX_KEY_LENGTH) throw new InvalidError(`key must be at most ${MAX_KEY_LENGTH} characters`, pointer);
  // HCP Terraform takes terraform keys that are no identifier (UUIDs, leading digits): no
  // configuration can declare them, so a run passes them on and terraform warns (docs/design.md).
  if (category === 'terraform' && CONTROL.test(key)) throw new InvalidError('key of a terraform variable must not contain control characters', pointer);
  if (category === 'env' && !ENV_KEY.test(key)) {
    throw new InvalidError('key of an env variable must be a valid environment variable name: letters, digits and "_", not starting with a digit', pointer);
  }
  return key;
}

export function validateDescription(description: string, at = ATTRIBUTES_POINTER): string {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new InvalidError(`description must be at most ${MAX_DESCRIPTION_LENGTH} characters`, { pointer: `${at}/description` });
  }
  return description;
}

export function validateValue(value: string, at = ATTRIBUTES_POINTER): string {
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) throw new InvalidError('value must be at most 256 kilobytes', { pointer: `${at}/value` });
  return value;
}

/** The `version-id` of a variable: new on every write. */
export function newVersionId(): string {
  return randomBytes(18).toString('hex');
}

/** The stored fields of a new variable; a sensitive value is stored sealed only. */
export function newVariableFields(keys: SealingKeys, input: VariableInput, at = ATTRIBUTES_POINTER): VariableFields {
  const category = validateCategory(input.category, at);
  const key = validateKey(input.key, category, at);
  const value = validateValue(input.value ?? '', at);
  const sensitive = input.sensitive ?? false;
  return {
    key,
    value: sensitive ? null : value,
    sealedValue: sensitive ? seal(keys, value) : null,
    description: validateDescription(input.description ?? '', at),
    category,
    hcl: input.hcl ?? false,
    sensitive,
    versionId: newVersionId(),
  };
}

/**
 * Checks the attributes of an update that need no stored variable (before the transaction that locks it)
 * and returns the function giving the stored fields once it is loaded. Every update gets a new version-id.
 * A sensitive variable stays sensitive (its value is write-only: managing-variables.mdx "Sensitive Values")
 * and keeps its sealed value unless given a new one; one becoming sensitive seals its plain value.
 */
export function prepareUpdate(keys: SealingKeys, input: UpdateVariableInput): (existing: VariableAttributes & SealedValue) => VariableFields {
  const plaintext = input.value === undefined || input.value === null ? undefined : validateValue(input.value);
  const description = input.description === undefined ? undefined : validateDescription(input.description ?? '');
  return (existing) => {
    const category = input.category === undefined ? existing.category : validateCategory(input.category);
    const key = validateKey(input.key ?? existing.key, category);
    if (existing.sensitive && input.sensitive === false) {
      throw new InvalidError('a sensitive variable cannot be made non-sensitive; delete it and create a new one', {
        pointer: `${ATTRIBUTES_POINTER}/sensitive`,
      });
    }
    const sensitive = existing.sensitive || input.sensitive === true;
    const value = plaintext ?? existing.value ?? '';
    const keepSealed = existing.sensitive && plaintext === undefined;
    return {
      key,
      value: sensitive ? null : value,
      sealedValue: !sensitive ? null : keepSealed ? existing.sealedValue : seal(keys, value),
      description: description ?? existing.description,
      category,
      hcl: input.hcl ?? existing.hcl,
      sensitive,
      versionId: newVersionId(),
    };
  };
}
