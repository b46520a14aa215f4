import { authorizeWorkspace, can, isAdminOfAnyWorkspace } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { open, seal } from '../crypto/sealing.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId, type WorkspaceId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as workspaceService from '../workspaces/service.js';
import * as sshKeyStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { SshKey } from './store.js';

/**
 * SSH keys (ssh-keys.mdx): an organization's private keys for cloning git modules, managed with
 * "Manage VCS settings", listed and read by those and by workspace admins; never by organization
 * tokens. The key text is write-only and sealed at rest; a workspace's runs get the key assigned to
 * it (workspaces.mdx "Assign an SSH key to a workspace", agent-protocol/service.ts).
 */

export interface SshKeyInput {
  name?: string | undefined;
  value?: string | undefined;
}

const ATTRIBUTES = '/data/attributes';

/** Keys are text; 16 KiB holds an RSA 8192 key in any format with room to spare. */
export const MAX_KEY_LENGTH = 16 * 1024;

type KeyAction = 'read' | 'manage';

/**
 * Whether the caller may read or manage the organization's keys. Only user and team tokens reach
 * these endpoints (ssh-keys.mdx notes); any other caller is told the resource does not exist.
 */
async function mayAccess(ctx: Ctx, organizationId: string, action: KeyAction): Promise<boolean> {
  if (ctx.subject.kind !== 'user' && ctx.subject.kind !== 'team') return false;
  if (await can(ctx, `ssh-key:${action}`, { organizationId })) return true;
  return action === 'read' && (await isAdminOfAnyWorkspace(ctx, organizationId));
}

async function findAuthorized(ctx: Ctx, id: string, action: KeyAction): Promise<sshKeyStore.SshKey> {
  const key = await sshKeyStore.findById(ctx.db, id);
  if (!key || !(await mayAccess(ctx, key.organizationId, action))) throw new NotFoundError(`ssh key ${id} not found`);
  return key;
}

async function organizationAuthorized(ctx: Ctx, organizationName: string, action: KeyAction) {
  // Seeing the organization first: a hidden one is the same 404 as a forbidden one.
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  if (!(await mayAccess(ctx, org.id, action))) throw new NotFoundError(`organization ${organizationName} not found`);
  return org;
}

function validate(input: SshKeyInput, creating: boolean): void {
  for (const attribute of ['name', 'value'] as const) {
    const value = input[attribute];
    if ((creating && value === undefined) || (value !== undefined && value.trim() === '')) {
      throw new InvalidError(`${attribute} is required`, { pointer: `${ATTRIBUTES}/${attribute}` });
    }
  }
}

export async function show(ctx: Ctx, id: string): Promise<sshKeyStore.SshKey> {
  return findAuthorized(ctx, id, 'read');
}

export async function list(ctx: Ctx, organizationName: string, page: Page): Promise<Paged<sshKeyStore.SshKey>> {
  const org = await organizationAuthorized(ctx, organizationName, 'read');
  return sshKeyStore.selectPage(ctx.db, org.id, { limit: page.size, offset: pageOffset(page) });
}

/** Creates a key (ssh-keys.mdx "Create an SSH Key"): name and value are required. */
export async function create(ctx: Ctx, organizationName: string, input: SshKeyInput): Promise<sshKeyStore.SshKey> {
  const org = await organizationAuthorized(ctx, organizationName, 'manage');
  validate(input, true);
  const id = newId('sshkey');
  await sshKeyStore.insert(ctx.db, {
    id,
    organizationId: org.id,
    name: input.name as string,
    sealedValue: seal(ctx.config, input.value as string),
    now: ctx.now(),
  });
  return findAuthorized(ctx, id, 'read');
}

/** Renames a key; go-tfe and the tfe provider may also send a new `value`, which replaces the key. */
export async function update(ctx: Ctx, id: string, input: SshKeyInput): Promise<sshKeyStore.SshKey> {
  const key = await findAuthorized(ctx, id, 'manage');
  validate(input, false);
  await sshKeyStore.update(ctx.db, key.id, { name: input.name, sealedValue: input.value === undefined ? undefined : seal(ctx.config, input.value) }, ctx.now());
  return findAuthorized(ctx, id, 'read');
}

/** Deletes a key; the workspaces it was assigned to have none afterwards. */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const key = await findAuthorized(ctx, id, 'manage');
  await sshKeyStore.deleteById(ctx.db, key.id);
}

/**
 * Assigns a key of the workspace's organization to it, or unassigns it with null (workspaces.mdx
 * "Assign an SSH key to a workspace", "Unassign"): a workspace setting, so workspace admins do it.
 */
export async function assignToWorkspace(ctx: Ctx, workspaceId: string, sshKeyId: string | null): Promise<workspaceService.WorkspaceView> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:update');
  if (sshKeyId !== null) {
    const key = await sshKeyStore.findById(ctx.db, sshKeyId);
    if (!key || key.organizationId !== workspace.organizationId) throw new NotFoundError(`ssh key ${sshKeyId} not found`);
  }
  await sshKeyStore.assignToWorkspace(ctx.db, workspace.id, sshKeyId, ctx.now());
  return workspaceService.reload(ctx, workspace.id);
}

/** The private key of the workspace's SSH key, for the run about to use it; undefined without one. Not for the API. */
export async function privateKeyForRun(ctx: Pick<Ctx, 'db' | 'config'>, workspaceId: WorkspaceId): Promise<string | undefined> {
  const sealed = await sshKeyStore.findSealedValueOfWorkspace(ctx.db, workspaceId);
  return sealed === undefined ? undefined : open(ctx.config, sealed);
}
