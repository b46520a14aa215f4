import { InvalidError } from '../errors.js';
import { resolveSettings } from '../organizations/settings.js';
import { ATTRIBUTES, type ExecutionMode } from './rules.js';

/**
 * A workspace's execution mode and agent pool (workspaces.mdx `execution-mode`, `agent-pool-id`,
 * `setting-overwrites`): both the workspace's own, or both its organization's defaults. Stored as
 * `execution_mode` (null: follows the organization) and `agent_pool_id` (set only with an own `agent` mode).
 */

export interface Execution {
  mode: ExecutionMode;
  /** The pool its runs go to: set exactly when the mode is `agent`. */
  agentPoolId: string | null;
  /** `setting-overwrites`: which of the two the workspace sets itself. */
  overwrites: { executionMode: boolean; agentPool: boolean };
}

/**
 * What a workspace runs with: its own mode and pool (none for `remote` and `local`), or its
 * organization's default mode and, when that is `agent`, default pool. agent-pools/store.ts
 * `effectivePoolId` and runs/schedule-store.ts `executesOn` are the same rule in SQL.
 */
export function executionOf(
  workspace: { executionMode: ExecutionMode | null; agentPoolId: string | null },
  organization: { defaultExecutionMode: ExecutionMode; defaultAgentPoolId: string | null },
): Execution {
  const own = workspace.executionMode !== null;
  const mode = workspace.executionMode ?? organization.defaultExecutionMode;
  const agentPoolId = mode !== 'agent' ? null : own ? workspace.agentPoolId : organization.defaultAgentPoolId;
  return { mode, agentPoolId, overwrites: { executionMode: own, agentPool: own } };
}

/** executionOf a loaded workspace, with its organization's defaults. */
export function executionOfWorkspace(workspace: {
  executionMode: ExecutionMode | null;
  agentPoolId: string | null;
  organizationSettings: Record<string, unknown>;
  organizationDefaultAgentPoolId: string | null;
}): Execution {
  return executionOf(workspace, {
    defaultExecutionMode: resolveSettings(workspace.organizationSettings)['default-execution-mode'],
    defaultAgentPoolId: workspace.organizationDefaultAgentPoolId,
  });
}

/** The execution settings of a create or update request, before validation; undefined: not given. */
export interface ExecutionInput {
  executionMode?: string | undefined;
  /** Deprecated `operations`: true is remote execution, false local. */
  operations?: boolean | undefined;
  /** `agent-pool-id`, or the `agent-pool` relationship; null: none. */
  agentPoolId?: string | null | undefined;
  /** `setting-overwrites.execution-mode`: false follows the organization's default. */
  overwritesExecutionMode?: boolean | undefined;
  /** `setting-overwrites.agent-pool`: goes with `setting-overwrites.execution-mode`. */
  overwritesAgentPool?: boolean | undefined;
}

/** The columns to write (undefined: unchanged), and the pool the service must check the workspace may use. */
export interface ExecutionChange {
  executionMode: ExecutionMode | null | undefined;
  agentPoolId: string | null | undefined;
  newPoolId: string | undefined;
}

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/** The execution mode to store: a mode, null to follow the organization's default, or undefined to keep the current one. */
function modeOf(input: ExecutionInput, current: { executionMode: ExecutionMode | null } | undefined): ExecutionMode | null | undefined {
  if (input.executionMode !== undefined && input.operations !== undefined) {
    throw invalid('operations', 'operations is deprecated and must not be given with execution-mode');
  }
  const mode = input.executionMode ?? (input.operations === undefined ? undefined : input.operations ? 'remote' : 'local');
  if (mode !== undefined && mode !== 'remote' && mode !== 'local' && mode !== 'agent') {
    throw invalid('execution-mode', 'execution-mode must be "remote", "local" or "agent"');
  }
  if (input.overwritesExecutionMode === false) {
    if (mode !== undefined)
      throw invalid('setting-overwrites/execution-mode', 'execution-mode must not be given when setting-overwrites.execution-mode is false');
    return null;
  }
  if (input.overwritesExecutionMode === true && mode === undefined && !current?.executionMode) {
    throw invalid('execution-mode', 'execution-mode is required when setting-overwrites.execution-mode is true');
  }
  return mode;
}

/**
 * Validates a request's execution settings against the workspace's current ones (undefined on create)
 * and the organization's default mode. A workspace overwrites its mode and its pool together, as the
 * scheduler reads them (runs/schedule-store.ts): naming a pool makes `agent` its own mode ("if you
 * provide a literal value, HCP Terraform will update its overwrites field to `true`", go-tfe
 * WorkspaceSettingOverwritesOptions), and either overwrite set to false makes it follow both.
 */
export function executionChange(
  input: ExecutionInput,
  current: { executionMode: ExecutionMode | null; agentPoolId: string | null } | undefined,
  defaultExecutionMode: ExecutionMode,
): ExecutionChange {
  const { overwritesExecutionMode: modeFlag, overwritesAgentPool: poolFlag } = input;
  if (modeFlag !== undefined && poolFlag !== undefined && modeFlag !== poolFlag) {
    throw invalid(
      'setting-overwrites/agent-pool',
      'setting-overwrites.agent-pool must equal setting-overwrites.execution-mode: a workspace sets both or follows both',
    );
  }
  const overwrites = modeFlag ?? poolFlag;
  const requestedPool = input.agentPoolId;
  if (overwrites === false && requestedPool) {
    throw invalid('setting-overwrites/agent-pool', "agent-pool-id must not be given when the workspace follows its organization's defaults");
  }
  let requested: ExecutionInput = { ...input, overwritesExecutionMode: overwrites };
  if (requestedPool && input.executionMode === undefined && input.operations === undefined && !current?.executionMode) {
    if (defaultExecutionMode !== 'agent') throw invalid('agent-pool-id', `agent-pool-id must not be given when the execution mode is ${defaultExecutionMode}`);
    requested = { ...requested, executionMode: 'agent' };
  }
  const storedMode = modeOf(requested, current);
  const mode = storedMode === undefined ? (current?.executionMode ?? null) : storedMode;
  if (mode !== 'agent') {
    if (requestedPool) throw invalid('agent-pool-id', `agent-pool-id must not be given when the execution mode is ${mode ?? defaultExecutionMode}`);
    return { executionMode: storedMode, agentPoolId: null, newPoolId: undefined };
  }
  const pool = requestedPool === undefined ? (current?.agentPoolId ?? null) : requestedPool;
  if (pool === null) throw invalid('agent-pool-id', 'agent-pool-id is required when execution-mode is agent');
  return { executionMode: storedMode, agentPoolId: pool, newPoolId: requestedPool ?? undefined };
}
