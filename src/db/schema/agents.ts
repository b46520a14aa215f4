/** Agent pools and agents. */
import type { Generated } from 'kysely';
import type { Timestamp } from './common.js';

export interface AgentPoolTable {
  id: string;
  organization_id: string;
  name: string;
  organization_scoped: Generated<boolean>;
  created_at: Timestamp;
}

export interface AgentPoolAllowedWorkspaceTable {
  agent_pool_id: string;
  workspace_id: string;
}

export interface AgentPoolAllowedProjectTable {
  agent_pool_id: string;
  project_id: string;
}

export interface AgentTable {
  id: string;
  /** Null for the server's built-in runner. */
  agent_pool_id: string | null;
  name: string | null;
  ip_address: string | null;
  /** idle | busy | exited | errored, as last reported; `unknown` is derived from an old last_ping_at. */
  status: string;
  last_ping_at: Timestamp;
  created_at: Timestamp;
}
