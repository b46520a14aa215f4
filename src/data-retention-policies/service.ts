import type { Ctx } from '../context.js';
import type { StoredRetentionPolicy } from '../db/schema.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as organizationService from '../organizations/service.js';
import * as organizationStore from '../organizations/store.js';
import * as workspaceService from '../workspaces/service.js';
import type { PolicyOwner } from './serialize.js';
import * as retentionStore from './store.js';
import { scheduleSweep } from './sweep-job.js';

/**
 * Data retention policies (organizations.mdx and workspaces.mdx "data retention policy",
 * concepts/workspaces/settings/deletion.mdx): an organization's applies to its workspaces unless a
 * workspace has its own. `delete-older` removes state versions and archives configuration versions
 * older than N days, by the hourly sweep (sweep-job.ts); `dont-delete` keeps everything. Set by the
 * organization's owners and the workspace's admins, read by whoever reads the organization or workspace.
 */

export interface PolicyInput {
  kind: StoredRetentionPolicy['kind'];
  deleteOlderThanNDays?: number | undefined;
  stateVersionsKeepLatestCount?: number | null | undefined;
  configurationVersionsKeepLatestCount?: number | null | undefined;
}

export interface OwnedPolicy {
  policy: StoredRetentionPolicy;
  owner: PolicyOwner;
}

function organizationOwner(name: string): PolicyOwner {
  return { type: 'organizations', id: name, path: `/api/v2/organizations/${encodeURIComponent(name)}/relationships/data-retention-policy` };
}

function workspaceOwner(id: string): PolicyOwner {
  return { type: 'workspaces', id, path: `/api/v2/workspaces/${encodeURIComponent(id)}/relationships/data-retention-policy` };
}

/** The policy the input describes, keeping the id of the one it replaces. */
function policyFrom(input: PolicyInput, previous: StoredRetentionPolicy | null): StoredRetentionPolicy {
  const id = previous?.id ?? newId('drp');
  if (input.kind === 'dont-delete') {
    return { id, kind: 'dont-delete', deleteOlderThanNDays: null, stateVersionsKeepLatestCount: null, configurationVersionsKeepLatestCount: null };
  }
  if (input.deleteOlderThanNDays === undefined) {
    throw new InvalidError('delete-older-than-n-days is required for a data-retention-policy-delete-olders', {
      pointer: '/data/attributes/delete-older-than-n-days',
    });
  }
  return {
    id,
    kind: 'delete-older',
    deleteOlderThanNDays: input.deleteOlderThanNDays,
    stateVersionsKeepLatestCount: input.stateVersionsKeepLatestCount ?? null,
    configurationVersionsKeepLatestCount: input.configurationVersionsKeepLatestCount ?? null,
  };
}

function notSet(description: string): NotFoundError {
  return new NotFoundError(`${description} has no data retention policy: nothing of it is deleted automatically`);
}

export async function showForOrganization(ctx: Ctx, name: string): Promise<OwnedPolicy> {
  const org = await organizationService.findAuthorized(ctx, name, 'organization:read');
  if (!org.dataRetentionPolicy) throw notSet(`organization ${name}`);
  return { policy: org.dataRetentionPolicy, owner: organizationOwner(org.name) };
}

export async function setForOrganization(ctx: Ctx, name: string, input: PolicyInput): Promise<OwnedPolicy> {
  const org = await organizationService.findAuthorized(ctx, name, 'organization:update');
  const policy = policyFrom(input, org.dataRetentionPolicy);
  await retentionStore.setOn(ctx.db, { table: 'organizations', id: org.id }, policy);
  await scheduleSweep(ctx);
  return { policy, owner: organizationOwner(org.name) };
}

export async function deleteForOrganization(ctx: Ctx, name: string): Promise<void> {
  const org = await organizationService.findAuthorized(ctx, name, 'organization:update');
  await retentionStore.setOn(ctx.db, { table: 'organizations', id: org.id }, null);
}

/** The workspace's own policy, or else its organization's, which then applies to it (workspaces.mdx). */
export async function showForWorkspace(ctx: Ctx, id: string): Promise<OwnedPolicy> {
  const workspace = await workspaceService.findAuthorized(ctx, { id }, 'workspace:read');
  if (workspace.dataRetentionPolicy) return { policy: workspace.dataRetentionPolicy, owner: workspaceOwner(workspace.id) };
  const org = await organizationStore.findById(ctx.db, workspace.organizationId);
  if (!org?.dataRetentionPolicy) throw notSet(`workspace ${id}`);
  return { policy: org.dataRetentionPolicy, owner: organizationOwner(org.name) };
}

export async function setForWorkspace(ctx: Ctx, id: string, input: PolicyInput): Promise<OwnedPolicy> {
  const workspace = await workspaceService.findAuthorized(ctx, { id }, 'workspace:update');
  const policy = policyFrom(input, workspace.dataRetentionPolicy);
  await retentionStore.setOn(ctx.db, { table: 'workspaces', id: workspace.id }, policy);
  await scheduleSweep(ctx);
  return { policy, owner: workspaceOwner(workspace.id) };
}

export async function deleteForWorkspace(ctx: Ctx, id: string): Promise<void> {
  const workspace = await workspaceService.findAuthorized(ctx, { id }, 'workspace:update');
  await retentionStore.setOn(ctx.db, { table: 'workspaces', id: workspace.id }, null);
  // Its organization's policy applies from now on.
  await scheduleSweep(ctx);
}
