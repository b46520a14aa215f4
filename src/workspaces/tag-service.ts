import type { Ctx } from '../context.js';
import { InvalidError } from '../errors.js';
import * as reservedTagKeyService from '../reserved-tag-keys/service.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { MAX_TAG_BINDINGS, type TagBindingInput, withBindingIds } from '../projects/tag-bindings.js';
import { tooManyBindings, validateTagName } from './rules.js';
import * as workspaceService from './service.js';
import * as tagStore from './tag-store.js';
import type { Paged } from '../db/paging.js';

export type { EffectiveTagBinding, Tag, TagBinding } from './tag-store.js';

/** Flat tags (`relationships/tags`) and key/value tag bindings of a workspace (workspaces.mdx). */

/** Where the items of a relationships request document are. */
const ITEMS = '/data';

export async function listTags(ctx: Ctx, workspaceId: string, page: Page): Promise<Paged<tagStore.Tag> & { organizationName: string }> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:read');
  const { items: tags, total } = await tagStore.selectPageOfWorkspace(ctx.db, workspace.id, { limit: page.size, offset: pageOffset(page) });
  return { items: tags, total, organizationName: workspace.organizationName };
}

function checkNames(tags: readonly workspaceService.TagReference[]): void {
  tags.forEach((tag, index) => {
    if ('name' in tag) validateTagName(tag.name, `${ITEMS}/${index}/attributes/name`);
  });
}

/** Attaches tags by id or name; names new to the organization become organization tags. */
export async function addTags(ctx: Ctx, workspaceId: string, tags: readonly workspaceService.TagReference[]): Promise<void> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:update');
  checkNames(tags);
  await ctx.db.transaction().execute(async (trx) => {
    const resolved = await workspaceService.resolveTags({ ...ctx, db: trx }, workspace.organizationId, tags, ITEMS);
    await tagStore.attach(
      trx,
      workspace.id,
      resolved.map((t) => t.id),
    );
  });
}

/** Detaches tags: an unknown id is refused, an unknown name ignored (workspaces.mdx "Remove tags from workspace"). */
export async function removeTags(ctx: Ctx, workspaceId: string, tags: readonly workspaceService.TagReference[]): Promise<void> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:update');
  checkNames(tags);
  const ids = tags.flatMap((t) => ('id' in t ? [t.id] : []));
  const names = tags.flatMap((t) => ('name' in t ? [t.name] : []));
  await ctx.db.transaction().execute(async (trx) => {
    const byId = await tagStore.findByIds(trx, workspace.organizationId, ids);
    const known = new Set(byId.map((t) => t.id));
    const unknown = tags.findIndex((t) => 'id' in t && !known.has(t.id));
    if (unknown >= 0)
      throw new InvalidError(`tag ${(tags[unknown] as { id: string }).id} not found in this organization`, { pointer: `${ITEMS}/${unknown}/id` });
    const byName = await tagStore.findByNames(trx, workspace.organizationId, names);
    await tagStore.detach(trx, workspace.id, [...known, ...byName.map((t) => t.id)]);
  });
}

export async function listBindings(ctx: Ctx, workspaceId: string): Promise<tagStore.TagBinding[]> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:read');
  return tagStore.selectBindings(ctx.db, workspace.id);
}

export async function listEffectiveBindings(ctx: Ctx, workspaceId: string): Promise<tagStore.EffectiveTagBinding[]> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:read');
  return tagStore.selectEffectiveBindings(ctx.db, workspace.id, workspace.projectId);
}

/** The effective bindings of workspaces the caller reads (include=effective_tag_bindings), in two queries. */
export function effectiveBindingsOf(ctx: Ctx, views: readonly workspaceService.WorkspaceView[]): Promise<Map<string, tagStore.EffectiveTagBinding[]>> {
  const readable = views.filter((v) => v.allowed.has('workspace:read')).map((v) => v.workspace);
  return tagStore.selectEffectiveBindingsOf(ctx.db, readable);
}

/** Adds bindings (validated by the route) or changes their values; other keys stay. Returns the workspace's bindings afterwards. */
export async function addBindings(ctx: Ctx, workspaceId: string, bindings: readonly TagBindingInput[]): Promise<tagStore.TagBinding[]> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:update');
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    await reservedTagKeyService.assertOverridable(trx, workspace, bindings, '/data');
    const existing = await tagStore.selectBindings(trx, workspace.id);
    const keys = new Set([...existing.map((b) => b.key), ...bindings.map((b) => b.key)]);
    if (keys.size > MAX_TAG_BINDINGS) throw tooManyBindings(ITEMS);
    await tagStore.upsertBindings(trx, workspace.id, withBindingIds(bindings), now);
    return tagStore.selectBindings(trx, workspace.id);
  });
}

/** Replaces every binding of the workspace (OpenAPI replaceWorkspaceTagBindings); validated by the route. */
export async function replaceBindings(ctx: Ctx, workspaceId: string, bindings: readonly TagBindingInput[]): Promise<void> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:update');
  await ctx.db.transaction().execute(async (trx) => {
    await reservedTagKeyService.assertOverridable(trx, workspace, bindings, '/data');
    await tagStore.replaceBindings(trx, workspace.id, withBindingIds(bindings), ctx.now());
  });
}
