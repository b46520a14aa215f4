import { type ResourceObject, resource, timestamp, apiPath } from '../jsonapi/document.js';
import type * as agentService from './service.js';

export function serializeAgent({ agent, status }: agentService.AgentView): ResourceObject {
  return resource(
    'agents',
    agent.id,
    {
      name: agent.name,
      status: status,
      'ip-address': agent.ipAddress,
      'last-ping-at': timestamp(agent.lastPingAt),
      'created-at': timestamp(agent.createdAt),
    },
    undefined,
    { self: apiPath('agents', agent.id) },
  );
}
