import { authorize } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { validateTagKey } from '../projects/tag-bindings.js';
import * as reservedTagKeyStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { ReservedTagKey } from './store.js';

/**
 * Reserved tag keys (reserved-tag-keys.mdx): keys with a meaning in the organization. With
 * `disable-overrides`, a workspace may not bind a key its project binds: the project's value holds.
 * Read by whoever reads the organization's tags, managed by who manages them.
 */

const KEY_POINTER = '/data/attributes/key';

export interface ReservedTagKeyInput {
  key?: string | undefined;
  disableOverrides?: boolean | undefined;
}

function duplicate(key: string): InvalidError {
  return new InvalidError(`tag key ${JSON.stringify(key)} is already reserved`, { pointer: KEY_POINTER });
}

async function findAuthorized(ctx: Ctx, id: string, action: Action): Promise<reservedTagKeyStore.ReservedTagKey> {
  const reserved = await reservedTagKeyStore.findById(ctx.db, id);
  if (!reserved) throw new NotFoundError(`reserved tag key ${id} not found`);
  await authorize(ctx, action, { organizationId: reserved.organizationId, description: `reserved tag key ${id}` });
  return reserved;
}

export async function list(ctx: Ctx, organizationName: string, page: Page): Promise<Paged<reservedTagKeyStore.ReservedTagKey>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'tag:read');
  return reservedTagKeyStore.selectPage(ctx.db, org.id, { limit: page.size, offset: pageOffset(page) });
}

export async function create(ctx: Ctx, organizationName: string, input: ReservedTagKeyInput): Promise<reservedTagKeyStore.ReservedTagKey> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'tag:manage');
  if (input.key === undefined) throw new InvalidError('key is required', { pointer: KEY_POINTER });
  validateTagKey(input.key, KEY_POINTER);
  const id = newId('rtk');
  try {
    await reservedTagKeyStore.insert(ctx.db, { id, organizationId: org.id, key: input.key, disableOverrides: input.disableOverrides ?? false, now: ctx.now() });
  } catch (err) {
    if (isUniqueViolation(err, reservedTagKeyStore.KEY_CONSTRAINT)) throw duplicate(input.key);
    throw err;
  }
  return (await reservedTagKeyStore.findById(ctx.db, id)) as reservedTagKeyStore.ReservedTagKey;
}

export async function update(ctx: Ctx, id: string, input: ReservedTagKeyInput): Promise<reservedTagKeyStore.ReservedTagKey> {
  const reserved = await findAuthorized(ctx, id, 'tag:manage');
  if (input.key !== undefined) validateTagKey(input.key, KEY_POINTER);
  try {
    await reservedTagKeyStore.update(ctx.db, reserved.id, input, ctx.now());
  } catch (err) {
    if (isUniqueViolation(err, reservedTagKeyStore.KEY_CONSTRAINT)) throw duplicate(input.key ?? reserved.key);
    throw err;
  }
  return (await reservedTagKeyStore.findById(ctx.db, reserved.id)) as reservedTagKeyStore.ReservedTagKey;
}

export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const reserved = await findAuthorized(ctx, id, 'tag:manage');
  await reservedTagKeyStore.deleteById(ctx.db, reserved.id);
}

/**
 * Refuses workspace bindings of keys whose project value may not be overridden (a reserved key with
 * `disable-overrides` that the project binds): a 422 at the binding, `${pointerPrefix}/${index}`.
 */
export async function assertOverridable(
  db: Db,
  workspace: { organizationId: string; projectId: string },
  bindings: readonly { key: string }[],
  pointerPrefix: string,
): Promise<void> {
  const locked = new Set(
    await reservedTagKeyStore.lockedByProject(
      db,
      workspace.organizationId,
      workspace.projectId,
      bindings.map((b) => b.key),
    ),
  );
  const index = bindings.findIndex((b) => locked.has(b.key));
  if (index === -1) return;
  const key = (bindings[index] as { key: string }).key;
  throw new InvalidError(`tag key ${JSON.stringify(key)} is reserved and its value is set by the project: workspaces may not override it`, {
    pointer: `${pointerPrefix}/${index}/attributes/key`,
  });
}
