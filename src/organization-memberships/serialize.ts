import { type ResourceObject, resource, timestamp, toMany, toOne } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as membershipService from './service.js';
import type { MembershipView } from './service.js';

/** An `organization-memberships` resource (organization-memberships.mdx; `email` and `created-at` from the OpenAPI schema). */
export function serializeMembership({ membership, teamIds }: MembershipView): ResourceObject {
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
      teams: toMany('teams', teamIds),
      user: toOne('users', membership.userId),
      organization: toOne('organizations', membership.organizationName),
    },
    { self: `/api/v2/organization-memberships/${membership.id}` },
  );
}

registerResourceType<MembershipView>('organization-memberships', {
  serialize: serializeMembership,
  load: (ctx, ids) => membershipService.visibleViews(ctx, ids),
  relations: {
    // Teams the caller sees, loaded per organization.
    teams: {
      load: async (ctx, views) => {
        const teams = new Map((await membershipService.teamsOf(ctx, views)).map((t) => [t.team.id, t]));
        return new Map(views.map((v) => [v.membership.id, v.teamIds.flatMap((id) => teams.get(id) ?? []).map((view) => ({ type: 'teams', view }))]));
      },
    },
  },
});
