import { Type } from '@sinclair/typebox';
import { MAX_TEXT_LENGTH } from '../jsonapi/body.js';
import { timestamp } from '../jsonapi/document.js';
import { MAX_VALUE_BYTES } from './rules.js';
import type { VariableAttributes } from './variable-rows.js';

/** The `vars` resource of workspace variables and variable-set variables alike: its request schemas and attributes. */

// category and key rules are checked by the services, for clearer messages than a schema union gives;
// the value's exact limit (in bytes) too.
export const CreateVariableAttributes = Type.Object({
  key: Type.String(),
  value: Type.Optional(Type.Union([Type.String({ maxLength: MAX_VALUE_BYTES }), Type.Null()])),
  description: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  category: Type.String(),
  hcl: Type.Optional(Type.Boolean()),
  sensitive: Type.Optional(Type.Boolean()),
});
export const UpdateVariableAttributes = Type.Partial(CreateVariableAttributes);

export function variableAttributes(v: VariableAttributes) {
  return {
    key: v.key,
    // Write-only once sensitive (workspace-variables.mdx "Create a Variable", managing-variables.mdx "Sensitive Values").
    value: v.sensitive ? null : v.value,
    description: v.description,
    sensitive: v.sensitive,
    category: v.category,
    hcl: v.hcl,
    'created-at': timestamp(v.createdAt),
    'version-id': v.versionId,
  };
}
