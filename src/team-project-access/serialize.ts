import { type ResourceObject, resource, apiPath } from '../jsonapi/document.js';
import type * as teamProjectService from './service.js';

export function serializeTeamProject(row: teamProjectService.TeamProject): ResourceObject {
  const { permissions: p } = row;
  const w = p.workspace;
  return resource(
    'team-projects',
    row.id,
    {
      access: row.access,
      'project-access': { settings: p.settings, teams: p.teams, 'variable-sets': p.variableSets },
      'workspace-access': {
        create: w.create,
        move: w.move,
        locking: w.workspaceLocking,
        delete: w.delete,
        runs: w.runs,
        variables: w.variables,
        'state-versions': w.stateVersions,
        'sentinel-mocks': w.sentinelMocks,
        'run-tasks': w.runTasks,
      },
    },
    {
      team: { data: { id: row.teamId, type: 'teams' }, links: { related: apiPath('teams', row.teamId) } },
      project: { data: { id: row.projectId, type: 'projects' }, links: { related: apiPath('projects', row.projectId) } },
    },
    { self: apiPath('team-projects', row.id) },
  );
}
