import type { StoredRetentionPolicy } from '../db/schema.js';
import { type Relationship, type ResourceObject, resource, toOne } from '../jsonapi/document.js';

/** The two resource types of a policy (go-tfe's DataRetentionPolicyDeleteOlder and …DontDelete). */
export const DELETE_OLDER_TYPE = 'data-retention-policy-delete-olders';
export const DONT_DELETE_TYPE = 'data-retention-policy-dont-deletes';

export function policyType(policy: StoredRetentionPolicy): string {
  return policy.kind === 'delete-older' ? DELETE_OLDER_TYPE : DONT_DELETE_TYPE;
}

/**
 * The polymorphic `data-retention-policy` relationship of organizations and workspaces: the policy set
 * explicitly on them, or null. go-tfe reads a policy only when this names its type.
 */
export function retentionPolicyRelationship(policy: StoredRetentionPolicy | null): Relationship {
  return policy ? toOne(policyType(policy), policy.id) : { data: null };
}

/** Whom a policy belongs to: its relationship `target` and the path it is read and written at. */
export interface PolicyOwner {
  type: 'organizations' | 'workspaces';
  id: string;
  path: string;
}

export function serializeRetentionPolicy(policy: StoredRetentionPolicy, owner: PolicyOwner): ResourceObject {
  const attributes =
    policy.kind === 'delete-older'
      ? {
          'delete-older-than-n-days': policy.deleteOlderThanNDays,
          'state-versions-keep-latest-count': policy.stateVersionsKeepLatestCount,
          'configuration-versions-keep-latest-count': policy.configurationVersionsKeepLatestCount,
        }
      : {};
  return resource(policyType(policy), policy.id, attributes, { target: toOne(owner.type, owner.id) }, { self: owner.path });
}
