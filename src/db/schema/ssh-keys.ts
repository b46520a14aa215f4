/** SSH keys of organizations (the workspace's `ssh_key_id` is in workspaces.ts). */
import type { Timestamp } from './common.js';

export interface SshKeyTable {
  id: string;
  organization_id: string;
  name: string;
  /** The private key, sealed; write-only in the API. */
  sealed_value: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}
