import { isDeepStrictEqual } from 'node:util';
import type { ResourceCounts } from './phase-store.js';

/**
 * Pure reading of a plan in `terraform show -json` form (Terraform's "JSON Output Format"): the
 * counts and `has-changes` of a plan (plans.mdx), and the redacted document the CLI renders a remote
 * plan from (cli-protocol.md §6.5).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Change extends JsonObject {
  actions: string[];
}

interface ResourceChange extends JsonObject {
  mode: string;
  change: Change;
}

/** The part of `terraform show -json <plan>` read here. */
export interface ShowPlan {
  format_version?: string;
  resource_changes?: ResourceChange[];
  resource_drift?: ResourceChange[];
  output_changes?: Record<string, Change>;
  relevant_attributes?: Json[];
  deferred_changes?: { resource_change: ResourceChange; [key: string]: Json }[];
  /** Terraform ≥ 1.8: whether applying the plan would do anything. */
  applyable?: boolean;
}

/** `terraform providers schema -json`. */
export interface ProviderSchemas {
  format_version?: string;
  provider_schemas?: Json;
}

function isReplace(actions: readonly string[]): boolean {
  return actions.includes('create') && actions.includes('delete');
}

/** A replacement counts as an addition and a destruction, as Terraform's own summary does. */
export function countChanges(plan: ShowPlan): ResourceCounts {
  const counts: ResourceCounts = { additions: 0, changes: 0, destructions: 0, imports: 0 };
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode !== 'managed') continue;
    const { actions } = resource.change;
    if (actions.includes('create')) counts.additions++;
    if (actions.includes('delete')) counts.destructions++;
    if (actions.includes('update') && !isReplace(actions)) counts.changes++;
    if (resource.change.importing) counts.imports++;
  }
  return counts;
}

const NOTHING = new Set(['no-op', 'read']);

/** Whether the plan does anything: `applyable` where Terraform says it, else any change, import or (refresh-only) drift. */
export function hasChanges(plan: ShowPlan, refreshOnly: boolean): boolean {
  if (typeof plan.applyable === 'boolean') return plan.applyable;
  const changed = (change: Change) => change.actions.some((action) => !NOTHING.has(action)) || Boolean(change.importing);
  return (
    (plan.resource_changes ?? []).some((resource) => changed(resource.change)) ||
    Object.values(plan.output_changes ?? {}).some(changed) ||
    (refreshOnly && (plan.resource_drift ?? []).length > 0)
  );
}

/**
 * A stand-in for a sensitive value, of the same JSON shape: the renderer never shows it (it prints
 * "(sensitive value)") but compares before and after to choose the action, so two stand-ins are
 * equal exactly when the values were.
 */
function standIn(value: Json, variant: 0 | 1): Json {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => standIn(item, variant));
  switch (typeof value) {
    case 'string':
      return variant ? '(sensitive, changed)' : '(sensitive)';
    case 'number':
      return variant;
    case 'boolean':
      return variant === 1;
    default:
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, standIn(item, variant)]));
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` with every part its sensitivity mask marks `true` replaced by a stand-in. */
function redactValue(value: Json, mask: Json | undefined, variant: 0 | 1 = 0): Json {
  if (mask === true) return standIn(value, variant);
  if (Array.isArray(value) && Array.isArray(mask)) return value.map((item, i) => redactValue(item, mask[i], variant));
  if (isObject(value) && isObject(mask)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, mask[key], variant)]));
  return value;
}

/** Before and after redacted together, so that a sensitive part that changed still differs. */
function redactPair(before: Json, after: Json, beforeMask: Json | undefined, afterMask: Json | undefined): [Json, Json] {
  if (beforeMask === true || afterMask === true) {
    const same = isDeepStrictEqual(before, after);
    return [redactValue(before, beforeMask), redactValue(after, afterMask, same ? 0 : 1)];
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const pairs = Array.from({ length: Math.max(before.length, after.length) }, (_, i) =>
      redactPair(
        before[i] ?? null,
        after[i] ?? null,
        Array.isArray(beforeMask) ? beforeMask[i] : undefined,
        Array.isArray(afterMask) ? afterMask[i] : undefined,
      ),
    );
    return [pairs.slice(0, before.length).map((p) => p[0]), pairs.slice(0, after.length).map((p) => p[1])];
  }
  if (isObject(before) && isObject(after)) {
    const b: JsonObject = {};
    const a: JsonObject = {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const [rb, ra] = redactPair(
        before[key] ?? null,
        after[key] ?? null,
        isObject(beforeMask) ? beforeMask[key] : undefined,
        isObject(afterMask) ? afterMask[key] : undefined,
      );
      if (key in before) b[key] = rb;
      if (key in after) a[key] = ra;
    }
    return [b, a];
  }
  return [redactValue(before, beforeMask), redactValue(after, afterMask)];
}

function redactChange<C extends Change>(change: C): C {
  if (!('before' in change) && !('after' in change)) return change;
  const [before, after] = redactPair(change.before ?? null, change.after ?? null, change.before_sensitive, change.after_sensitive);
  return { ...change, before, after };
}

function redactResource(resource: ResourceChange): ResourceChange {
  return { ...resource, change: redactChange(resource.change) };
}

/**
 * The `json-output-redacted` document: what the CLI's renderer reads (plan and provider format
 * versions, resource and output changes, drift, relevant attributes, deferred changes, provider
 * schemas), with sensitive values replaced. Prior state, configuration and variable values are left out.
 */
export function redactedPlan(plan: ShowPlan, schemas: ProviderSchemas): JsonObject {
  const document: JsonObject = {
    plan_format_version: plan.format_version ?? null,
    resource_changes: (plan.resource_changes ?? []).map(redactResource),
    resource_drift: (plan.resource_drift ?? []).map(redactResource),
    output_changes: Object.fromEntries(Object.entries(plan.output_changes ?? {}).map(([name, change]) => [name, redactChange(change)])),
    relevant_attributes: plan.relevant_attributes ?? [],
    provider_format_version: schemas.format_version ?? null,
    provider_schemas: schemas.provider_schemas ?? {},
  };
  if (plan.deferred_changes) {
    document.deferred_changes = plan.deferred_changes.map((deferred) => ({ ...deferred, resource_change: redactResource(deferred.resource_change) }));
  }
  return document;
}
