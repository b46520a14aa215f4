import type { Ctx } from '../context.js';
import { isWorkspaceId } from '../ids.js';
import type { Action } from './permissions.js';
import * as authStore from './store.js';
import type { Subject } from './subject.js';

/**
 * What a run's own token may do: exactly what its terraform needs with the cloud block pointed back
 * at Terrace (cli-protocol.md §2.3, §4.4, §5): the handshake's entitlement read; on its workspace,
 * read it, lock and unlock (the run holds the lock already, see workspaces/lock-service.ts) and read
 * and write state; on the workspaces whose state it may consume (`terraform_remote_state`, `tfe_outputs`),
 * read them and their state. Nothing else: no variables, no runs, no other workspace.
 */

// The organization's private registry: a run's `terraform init` installs its modules.
const ORGANIZATION: ReadonlySet<Action> = new Set(['organization:read-entitlements', 'registry:read']);
const OWN_WORKSPACE: ReadonlySet<Action> = new Set([
  'workspace:read',
  'workspace:lock',
  'workspace:unlock',
  'workspace:read-state-outputs',
  'workspace:read-state',
  'workspace:write-state',
]);
const CONSUMED_WORKSPACE: ReadonlySet<Action> = new Set(['workspace:read', 'workspace:read-state-outputs', 'workspace:read-state']);
const NOTHING: ReadonlySet<Action> = new Set();

type RunSubject = Extract<Subject, { kind: 'run' }>;

/** A module test's job token: only what `terraform init` needs of its organization's private registry. */
export function testRunTokenActions(
  subject: Extract<Subject, { kind: 'test-run' }>,
  target: { organizationId: string; projectId?: string | undefined; workspaceId?: string | undefined },
): ReadonlySet<Action> {
  return target.organizationId === subject.organizationId && target.workspaceId === undefined && target.projectId === undefined ? ORGANIZATION : NOTHING;
}

export async function runTokenActions(
  ctx: Pick<Ctx, 'db'>,
  subject: RunSubject,
  target: { organizationId: string; projectId?: string | undefined; workspaceId?: string | undefined },
): Promise<ReadonlySet<Action>> {
  if (target.organizationId !== subject.organizationId) return NOTHING;
  if (target.workspaceId === undefined) return target.projectId === undefined ? ORGANIZATION : NOTHING;
  if (target.workspaceId === subject.workspaceId) return OWN_WORKSPACE;
  return isWorkspaceId(target.workspaceId) && (await authStore.mayConsumeState(ctx.db, target.workspaceId, subject.workspaceId)) ? CONSUMED_WORKSPACE : NOTHING;
}
