import { ORGANIZATION_ACCESS_FLAGS } from '../auth/organization-access.js';
import { type ResourceObject, resource, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import type { TeamView } from './service.js';

/** A `teams` resource (teams.mdx, and the OpenAPI `teams` schema for the permissions it adds). */
export function serializeTeam(view: TeamView): ResourceObject {
  const { team, permissions: p } = view;
  const path = apiPath('teams', team.id);
  return resource(
    'teams',
    team.id,
    {
      name: team.name,
      'sso-team-id': team.ssoTeamId,
      'users-count': team.usersCount,
      visibility: team.visibility,
      'allow-member-token-management': team.allowMemberTokenManagement,
      permissions: {
        'can-update-membership': p.canUpdateMembership,
        'can-destroy': p.canDestroy,
        'can-update-organization-access': p.canUpdateOrganizationAccess,
        'can-update-api-token': p.canUpdateApiToken,
        'can-update-visibility': p.canUpdateVisibility,
        'can-update-name': p.canUpdateName,
        'can-update-sso-team-id': p.canUpdateSsoTeamId,
        'can-update-member-token-management': p.canUpdateMemberTokenManagement,
        'can-view-api-token': p.canViewApiToken,
      },
      'organization-access': Object.fromEntries(ORGANIZATION_ACCESS_FLAGS.map((flag) => [flag, view.organizationAccess[flag]])),
    },
    {
      organization: toOne('organizations', team.organizationName),
      users: toMany('users', view.userIds),
      'organization-memberships': toMany('organization-memberships', view.membershipIds),
      'authentication-token': { links: { related: `${path}/authentication-token` } },
      'authentication-tokens': { links: { related: `${path}/authentication-tokens` } },
    },
    { self: path },
  );
}

// Reached through memberships (their `teams` relation); a team's own includes go by id.
registerResourceType<TeamView>('teams', { serialize: serializeTeam });
