/** Run tasks and their workspace associations. */
import type { Generated } from 'kysely';
import type { Timestamp } from './common.js';

export interface RunTaskTable {
  id: string;
  organization_id: string;
  name: string;
  url: string;
  description: string | null;
  category: Generated<string>;
  /** The HMAC key, sealed; write-only in the API. */
  sealed_hmac_key: string | null;
  enabled: Generated<boolean>;
  global_enabled: Generated<boolean>;
  global_stages: Generated<string[]>;
  global_enforcement_level: string | null;
  created_at: Timestamp;
}

export interface WorkspaceRunTaskTable {
  id: string;
  workspace_id: string;
  task_id: string;
  enforcement_level: string;
  stages: string[];
  created_at: Timestamp;
}
