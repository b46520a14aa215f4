/** Variable sets and workspace variables. */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Timestamp } from './common.js';

export interface VariableSetTable {
  id: string;
  organization_id: string;
  name: string;
  description: Generated<string>;
  is_global: Generated<boolean>;
  priority: Generated<boolean>;
  /** The owning project of a project-owned set; NULL when the organization owns it. */
  parent_project_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VariableSetWorkspaceTable {
  variable_set_id: string;
  workspace_id: string;
}

export interface VariableSetProjectTable {
  variable_set_id: string;
  project_id: string;
}

export interface VariableTable {
  id: string;
  workspace_id: string | null;
  variable_set_id: string | null;
  /** A registry module's test environment variable (private-registry/tests.mdx). */
  registry_module_id: ColumnType<string | null, string | null | undefined, string | null>;
  key: string;
  /** Plain value; NULL for sensitive variables. */
  value: string | null;
  /** Sealed (encrypted) value of a sensitive variable; NULL otherwise. */
  sealed_value: string | null;
  description: Generated<string>;
  /** `terraform` or `env`. */
  category: string;
  hcl: Generated<boolean>;
  sensitive: Generated<boolean>;
  version_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type VariableRow = Selectable<VariableTable>;
