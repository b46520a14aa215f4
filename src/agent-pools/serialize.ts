import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as agentPoolService from './service.js';
import type { AgentPoolView } from './service.js';

/** The agent pool serializer, free of other domains so that workspaces can include pools (`include=agent_pool`). */

/** agents.mdx "Show an Agent Pool", with the OpenAPI schema's `agent-count`, `allowed-projects`, `excluded-workspaces` and `organization`. */
export function serializeAgentPool({ pool, scope, workspaceIds }: AgentPoolView): ResourceObject {
  const path = apiPath('agent-pools', pool.id);
  return resource(
    'agent-pools',
    pool.id,
    {
      name: pool.name,
      'created-at': timestamp(pool.createdAt),
      'organization-scoped': pool.organizationScoped,
      'agent-count': pool.agentCount,
    },
    {
      agents: { links: { related: `${path}/agents` } },
      'authentication-tokens': { links: { related: `${path}/authentication-tokens` } },
      workspaces: toMany('workspaces', workspaceIds),
      'allowed-workspaces': toMany('workspaces', scope.allowedWorkspaceIds),
      'allowed-projects': toMany('projects', scope.allowedProjectIds),
      'excluded-workspaces': toMany('workspaces', scope.excludedWorkspaceIds),
      organization: toOne('organizations', pool.organizationName),
    },
    { self: path },
  );
}

registerResourceType<AgentPoolView>('agent-pools', {
  serialize: serializeAgentPool,
  load: agentPoolService.readableViews,
});
