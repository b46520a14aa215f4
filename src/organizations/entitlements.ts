/**
 * The entitlement set every organization has (api-docs/organizations.mdx "Show the Entitlement Set").
 * Only what Terrace implements is true; the issue that lands a feature flips its value here.
 * Limits are null: Terrace imposes none.
 */
export const ENTITLEMENTS = {
  agents: false,
  'audit-logging': false,
  'configuration-designer': false,
  // Needs a price source that is not available offline (spec/README.md).
  'cost-estimation': false,
  'global-run-tasks': true,
  'module-tests-generation': false,
  // When false the CLI runs every operation locally, whatever the workspace says (cli-protocol.md §2.3).
  operations: true,
  // OPA policy sets, evaluated by Terrace's own Rego engine (issue 18).
  'policy-enforcement': true,
  'policy-limit': null,
  'policy-mandatory-enforcement-limit': null,
  'policy-set-limit': null,
  'private-module-registry': true,
  'private-policy-agents': false,
  'private-run-tasks': false,
  'private-vcs': false,
  'run-task-limit': null,
  'run-task-mandatory-enforcement-limit': null,
  'run-task-workspace-limit': null,
  'run-tasks': true,
  'self-serve-billing': false,
  // Sentinel is proprietary: never entitled (spec/README.md).
  sentinel: false,
  sso: false,
  'state-storage': true,
  teams: true,
  'usage-reporting': false,
  'user-limit': null,
  'vcs-integrations': false,
  'versioned-policy-set-limit': null,
} as const satisfies Record<string, boolean | number | null>;

export type Entitlement = keyof typeof ENTITLEMENTS;
