import { InvalidError } from '../errors.js';
import { resolveSettings } from '../organizations/settings.js';
import { ATTRIBUTES, type ExecutionMode } from './rules.js';

/**
 * A workspace's execution mode and agent pool (workspaces.mdx `execution-mode`, `agent-pool-id`,
 * `setting-overwrites`). Each is the workspace's own or follows the organization's default. Stored as
 * two columns: `execution_mode` (null: follows the default mode) and `agent_pool_id` (the workspace's
 * own pool; null with an own mode means no pool, and with a followed mode means the default pool).
 */

export interface Execution {
  mode: ExecutionMode;
  /** The pool its runs go to: set exactly when the mode is `agent`. */
  agentPoolId: string | null;
  /** `setting-overwrites`: which of the two the workspace sets itself. */
  overwrites: { executionMode: boolean; agentPool: boolean };
}

/**
 * What a workspace runs with. An own mode brings an own pool (none for `remote` and `local`); a
 * workspace that follows the default mode may still name its own pool, used while that default is `agent`.
 * agent-pools/store.ts `effectivePoolId` is the same rule in SQL.
 */
export function executionOf(
  workspace: { executionMode: ExecutionMode | null; agentPoolId: string | null },
  organization: { defaultExecutionMode: ExecutionMode; defaultAgentPoolId: string | null },
): Execution {
  const mode = workspace.executionMode ?? organization.defaultExecutionMode;
  const ownPool = workspace.executionMode !== null || workspace.agentPoolId !== null;
  const agentPoolId = mode !== 'agent' ? null : ownPool ? workspace.agentPoolId : organization.defaultAgentPoolId;
  return { mode, agentPoolId, overwrites: { executionMode: workspace.executionMode !== null, agentPool: ownPool } };
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
  /** `setting-overwrites.agent-pool`: false follows the organization's default pool. */
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
 * and the organization's default mode. "If you mark a setting as `false`, it will clear the workspace's
 * existing value"; "if you provide a literal value, HCP Terraform will update its overwrites field to
 * `true`" (go-tfe WorkspaceSettingOverwritesOptions). A workspace that goes back to the default mode
 * drops its own pool unless the same request names one.
 */
export function executionChange(
  input: ExecutionInput,
  current: { executionMode: ExecutionMode | null; agentPoolId: string | null } | undefined,
  defaultExecutionMode: ExecutionMode,
): ExecutionChange {
  const storedMode = modeOf(input, current);
  const requestedPool = input.agentPoolId;
  if (input.overwritesAgentPool === false && requestedPool) {
    throw invalid('setting-overwrites/agent-pool', 'agent-pool-id must not be given when setting-overwrites.agent-pool is false');
  }
  if (input.overwritesAgentPool === true && requestedPool === undefined) {
    throw invalid('agent-pool-id', 'agent-pool-id is required when setting-overwrites.agent-pool is true');
  }
  const mode = storedMode === undefined ? (current?.executionMode ?? null) : storedMode;
  const effectiveMode = mode ?? defaultExecutionMode;
  const newPoolId = requestedPool ?? undefined;
  if (newPoolId !== undefined && effectiveMode !== 'agent') {
    throw invalid('agent-pool-id', `agent-pool-id must not be given when the execution mode is ${effectiveMode}`);
  }
  if (mode === 'remote' || mode === 'local') return { executionMode: storedMode, agentPoolId: null, newPoolId };
  if (mode === 'agent') {
    const pool = requestedPool === undefined ? (current?.agentPoolId ?? null) : requestedPool;
    if (pool === null) throw invalid('agent-pool-id', 'agent-pool-id is required when execution-mode is agent');
    return { executionMode: storedMode, agentPoolId: pool, newPoolId };
  }
  // Following the organization's mode: an own pool only when named, else the default pool.
  const keepsPool = storedMode === undefined && input.overwritesAgentPool !== false;
  const pool = requestedPool === undefined ? (keepsPool ? undefined : null) : requestedPool;
  return { executionMode: storedMode, agentPoolId: pool, newPoolId };
}
