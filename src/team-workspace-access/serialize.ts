import { type ResourceObject, resource, apiPath } from '../jsonapi/document.js';
import type * as teamWorkspaceService from './service.js';

export function serializeTeamWorkspace(row: teamWorkspaceService.TeamWorkspace): ResourceObject {
  const p = row.permissions;
  return resource(
    'team-workspaces',
    row.id,
    {
      access: row.access,
      runs: p.runs,
      variables: p.variables,
      'state-versions': p.stateVersions,
      'sentinel-mocks': p.sentinelMocks,
      'workspace-locking': p.workspaceLocking,
      'run-tasks': p.runTasks,
    },
    {
      team: { data: { id: row.teamId, type: 'teams' }, links: { related: apiPath('teams', row.teamId) } },
      workspace: {
        data: { id: row.workspaceId, type: 'workspaces' },
        links: { related: `${apiPath('organizations', row.organizationName)}/workspaces/${encodeURIComponent(row.workspaceName)}` },
      },
    },
    { self: apiPath('team-workspaces', row.id) },
  );
}
