import type { Action } from '../auth/permissions.js';
import { retentionPolicyRelationship } from '../data-retention-policies/serialize.js';
import { carriedRelation, registerResourceType } from '../jsonapi/include-registry.js';
import { type ResourceObject, resource, timestamp, toOne, apiPath } from '../jsonapi/document.js';
import * as organizationService from './service.js';

/**
 * The `permissions` attribute: each key and the action that grants it. null marks what Terrace does not
 * implement yet (always false); the issue that adds the feature names its action here.
 */
const PERMISSIONS: Readonly<Record<string, Action | null>> = {
  'can-update': 'organization:update',
  'can-destroy': 'organization:delete',
  'can-access-via-teams': null,
  'can-create-module': 'registry-module:manage',
  'can-create-team': 'team:create',
  'can-create-workspace': 'workspace:create',
  'can-manage-users': 'organization:manage-membership',
  'can-manage-subscription': null,
  'can-manage-sso': null,
  'can-update-oauth': null,
  // The service's name for managing the organization's policies, whatever their kind.
  'can-update-sentinel': 'policy-set:manage',
  'can-update-ssh-keys': 'ssh-key:manage',
  'can-update-api-token': 'organization:manage-token',
  'can-traverse': 'organization:read',
  'can-start-trial': null,
  'can-update-agent-pools': 'agent-pool:manage',
  'can-manage-tags': 'tag:manage',
  'can-manage-varsets': 'variable-set:manage',
  'can-read-varsets': 'variable-set:read',
  'can-manage-public-providers': null,
  'can-create-provider': 'registry-provider:manage',
  'can-manage-public-modules': null,
  'can-manage-custom-providers': null,
  'can-manage-run-tasks': 'run-task:manage',
  'can-read-run-tasks': 'run-task:read',
  'can-create-project': 'project:create',
};

function serializePermissions(allowed: ReadonlySet<Action>): Record<string, boolean> {
  return Object.fromEntries(Object.entries(PERMISSIONS).map(([key, action]) => [key, action !== null && allowed.has(action)]));
}

export function serializeOrganization(view: organizationService.OrganizationView): ResourceObject {
  const { organization: org, settings } = view;
  const path = apiPath('organizations', org.name);
  return resource(
    'organizations',
    org.name,
    {
      name: org.name,
      'external-id': org.id,
      'created-at': timestamp(org.createdAt),
      email: org.email,
      'session-timeout': settings['session-timeout'],
      'session-remember': settings['session-remember'],
      'collaborator-auth-policy': settings['collaborator-auth-policy'],
      // Plans and billing belong to HashiCorp's hosted service (spec/README.md): no plan, never expired.
      'plan-expired': false,
      'plan-expires-at': null,
      'plan-is-trial': false,
      'plan-is-enterprise': false,
      'cost-estimation-enabled': settings['cost-estimation-enabled'],
      'send-passing-statuses-for-untriggered-speculative-plans': settings['send-passing-statuses-for-untriggered-speculative-plans'],
      'aggregated-commit-status-enabled': settings['aggregated-commit-status-enabled'],
      'speculative-plan-management-enabled': settings['speculative-plan-management-enabled'],
      'allow-force-delete-workspaces': settings['allow-force-delete-workspaces'],
      permissions: serializePermissions(view.allowed),
      'fair-run-queuing-enabled': false,
      'saml-enabled': false,
      'owners-team-saml-role-id': settings['owners-team-saml-role-id'],
      'two-factor-conformant': false,
      'assessments-enforced': settings['assessments-enforced'],
      'default-execution-mode': settings['default-execution-mode'],
      'user-tokens-enabled': settings['user-tokens-enabled'],
      'is-in-degraded-mode': false,
    },
    {
      'default-agent-pool': toOne('agent-pools', org.defaultAgentPoolId),
      'default-project': toOne('projects', view.defaultProjectId),
      'oauth-tokens': { links: { related: `${path}/oauth-tokens` } },
      'authentication-token': { links: { related: `${path}/authentication-token` } },
      'entitlement-set': { ...toOne('entitlement-sets', org.id), links: { related: `${path}/entitlement-set` } },
      'data-retention-policy': retentionPolicyRelationship(org.dataRetentionPolicy),
    },
    { self: path },
  );
}

export function serializeEntitlementSet(set: organizationService.EntitlementSet): ResourceObject {
  return resource('entitlement-sets', set.id, { ...set.entitlements }, undefined, { self: apiPath('entitlement-sets', set.id) });
}

registerResourceType<organizationService.OrganizationView>('organizations', {
  serialize: serializeOrganization,
  load: organizationService.readableViews,
  relations: {
    // For those whose caller may read entitlements.
    entitlement_set: carriedRelation({
      type: 'entitlement-sets',
      idOf: (v) => v.organization.name,
      membersOf: (v) => (v.allowed.has('organization:read-entitlements') ? [organizationService.entitlementSetOf(v.organization.id)] : []),
    }),
  },
});
registerResourceType<organizationService.EntitlementSet>('entitlement-sets', { serialize: serializeEntitlementSet });
