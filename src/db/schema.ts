/**
 * The database's tables as Kysely sees them. Each family's tables live in `schema/<family>.ts`;
 * this file puts them together as `DB` and re-exports them.
 */
import type { OauthCodeTable, TokenTable, UserTable, WebSessionTable } from './schema/identity.js';
import type {
  OrganizationMembershipTable,
  OrganizationTable,
  OrganizationWorkspaceCountTable,
  ProjectTable,
  TeamMembershipTable,
  TeamProjectTable,
  TeamTable,
  TeamWorkspaceTable,
} from './schema/organizations.js';
import type {
  ProjectTagBindingTable,
  ReservedTagKeyTable,
  RemoteStateConsumerTable,
  TagTable,
  WorkspaceTable,
  WorkspaceTagBindingTable,
  WorkspaceTagTable,
} from './schema/workspaces.js';
import type { VariableSetProjectTable, VariableSetTable, VariableSetWorkspaceTable, VariableTable } from './schema/variables.js';
import type { StateVersionOutputTable, StateVersionTable, WorkspaceResourceTable } from './schema/state.js';
import type {
  ApplyTable,
  ConfigurationVersionTable,
  PlanTable,
  RunCommentTable,
  RunEventTable,
  RunLogChunkTable,
  RunTable,
  RunTriggerTable,
} from './schema/runs.js';
import type {
  GpgKeyTable,
  RegistryModuleTable,
  RegistryModuleVersionTable,
  RegistryProviderPlatformTable,
  RegistryProviderTable,
  RegistryProviderVersionTable,
  TestConfigurationVersionTable,
  TestRunTable,
} from './schema/registry.js';
import type { RunTaskTable, TaskResultOutcomeTable, TaskResultTable, TaskStageTable, WorkspaceRunTaskTable } from './schema/run-tasks.js';
import type { NotificationConfigurationTable, NotificationConfigurationUserTable } from './schema/notifications.js';
import type { SshKeyTable } from './schema/ssh-keys.js';
import type {
  PolicyEvaluationTable,
  PolicySetOutcomeTable,
  PolicySetParameterTable,
  PolicySetTable,
  PolicySetTargetTable,
  PolicySetVersionTable,
  PolicyTable,
} from './schema/policies.js';
import type { AgentPoolAllowedProjectTable, AgentPoolAllowedWorkspaceTable, AgentPoolTable, AgentTable } from './schema/agents.js';
import type { BlobChunkTable, BlobTable, BlobUploadTable, InstallationFactTable, JobTable } from './schema/platform.js';

export * from './schema/identity.js';
export * from './schema/organizations.js';
export * from './schema/workspaces.js';
export * from './schema/variables.js';
export * from './schema/state.js';
export * from './schema/runs.js';
export * from './schema/agents.js';
export * from './schema/platform.js';
export * from './schema/run-tasks.js';
export * from './schema/registry.js';
export * from './schema/notifications.js';
export * from './schema/policies.js';

export interface DB {
  users: UserTable;
  organizations: OrganizationTable;
  organization_workspace_counts: OrganizationWorkspaceCountTable;
  teams: TeamTable;
  team_memberships: TeamMembershipTable;
  team_workspaces: TeamWorkspaceTable;
  team_projects: TeamProjectTable;
  organization_memberships: OrganizationMembershipTable;
  tokens: TokenTable;
  oauth_codes: OauthCodeTable;
  web_sessions: WebSessionTable;
  projects: ProjectTable;
  workspaces: WorkspaceTable;
  remote_state_consumers: RemoteStateConsumerTable;
  tags: TagTable;
  workspace_tags: WorkspaceTagTable;
  workspace_tag_bindings: WorkspaceTagBindingTable;
  project_tag_bindings: ProjectTagBindingTable;
  reserved_tag_keys: ReservedTagKeyTable;
  variable_sets: VariableSetTable;
  variable_set_workspaces: VariableSetWorkspaceTable;
  variable_set_projects: VariableSetProjectTable;
  variables: VariableTable;
  jobs: JobTable;
  configuration_versions: ConfigurationVersionTable;
  state_versions: StateVersionTable;
  state_version_outputs: StateVersionOutputTable;
  workspace_resources: WorkspaceResourceTable;
  runs: RunTable;
  plans: PlanTable;
  applies: ApplyTable;
  run_events: RunEventTable;
  run_log_chunks: RunLogChunkTable;
  agent_pools: AgentPoolTable;
  agent_pool_allowed_workspaces: AgentPoolAllowedWorkspaceTable;
  agent_pool_allowed_projects: AgentPoolAllowedProjectTable;
  agent_pool_excluded_workspaces: AgentPoolAllowedWorkspaceTable;
  agents: AgentTable;
  run_tasks: RunTaskTable;
  workspace_run_tasks: WorkspaceRunTaskTable;
  task_stages: TaskStageTable;
  run_triggers: RunTriggerTable;
  run_comments: RunCommentTable;
  registry_modules: RegistryModuleTable;
  registry_module_versions: RegistryModuleVersionTable;
  gpg_keys: GpgKeyTable;
  registry_providers: RegistryProviderTable;
  test_configuration_versions: TestConfigurationVersionTable;
  test_runs: TestRunTable;
  registry_provider_versions: RegistryProviderVersionTable;
  registry_provider_platforms: RegistryProviderPlatformTable;
  task_results: TaskResultTable;
  task_result_outcomes: TaskResultOutcomeTable;
  notification_configurations: NotificationConfigurationTable;
  notification_configuration_users: NotificationConfigurationUserTable;
  ssh_keys: SshKeyTable;
  policy_sets: PolicySetTable;
  policy_set_targets: PolicySetTargetTable;
  policy_set_versions: PolicySetVersionTable;
  policy_evaluations: PolicyEvaluationTable;
  policy_set_outcomes: PolicySetOutcomeTable;
  policy_set_parameters: PolicySetParameterTable;
  policies: PolicyTable;
  blob_uploads: BlobUploadTable;
  blob_chunks: BlobChunkTable;
  blobs: BlobTable;
  installation_facts: InstallationFactTable;
}
