import { type ResourceObject, resource, timestamp, toMany, toOne } from '../jsonapi/document.js';
import type { MembershipView } from './service.js';

/** An `organization-memberships` resource (organization-memberships.mdx; `email` and `created-at` from the OpenAPI schema). */
export function serializeMembership(view: MembershipView): ResourceObject {
  const { membership } = view;
  return resource(
    'organization-memberships',
    membership.id,
    {
      status: membership.status,
      email: membership.email,
      'created-at': timestamp(membership.createdAt),
      // "Only present for invited users" (openapi organization-memberships); Terrace has no two-factor requirement.
      ...(membership.status === 'invited' ? { 'is-org-two-factor-required': false } : {}),
    },
    {
      teams: toMany('teams', view.teamIds),
      user: toOne('users', membership.userId),
      organization: toOne('organizations', membership.organizationName),
    },
    { self: `/api/v2/organization-memberships/${membership.id}` },
  );
}
