import { authorize } from '../auth/authorize.js';
import type { WorkspaceId } from '../ids.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as tagStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { Tag } from './store.js';

/** The organization's flat tags with their workspace counts (organization-tags.mdx "List Tags"). */
export async function list(ctx: Ctx, organizationName: string, options: { filter: tagStore.TagFilter; page: Page }): Promise<Paged<tagStore.Tag>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'tag:read');
  return tagStore.selectPage(ctx.db, org.id, options.filter, { limit: options.page.size, offset: pageOffset(options.page) });
}

function atLeastOne(what: string): InvalidError {
  return new InvalidError(`data must list at least one ${what}`, { pointer: '/data' });
}

/**
 * Deletes tags from the organization and so from every workspace (organization-tags.mdx "Delete tags").
 * All or nothing: an id that is not one of the organization's tags is a 404 and nothing is deleted.
 */
export async function destroy(ctx: Ctx, organizationName: string, tagIds: readonly string[]): Promise<void> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'tag:manage');
  if (tagIds.length === 0) throw atLeastOne('tag');
  const existing = await tagStore.existingIds(ctx.db, org.id, tagIds);
  const missing = tagIds.find((id) => !existing.has(id));
  if (missing !== undefined) throw new NotFoundError(`tag ${missing} not found`);
  await tagStore.deleteByIds(ctx.db, org.id, tagIds);
}

/** Attaches a tag to workspaces of its organization (organization-tags.mdx "Add workspaces to a tag"). */
export async function addWorkspaces(ctx: Ctx, tagId: string, workspaceIds: readonly string[]): Promise<void> {
  const tag = await tagStore.findById(ctx.db, tagId);
  if (!tag) throw new NotFoundError(`tag ${tagId} not found`);
  await authorize(ctx, 'tag:manage', { organizationId: tag.organizationId, description: `tag ${tagId}` });
  if (workspaceIds.length === 0) throw atLeastOne('workspace');
  const found: WorkspaceId[] = [];
  for (const [index, id] of workspaceIds.entries()) {
    const workspace = await authStore.findWorkspaceScopeUnchecked(ctx.db, id);
    // A workspace of another organization is reported as absent, like any invisible resource.
    if (!workspace || workspace.organizationId !== tag.organizationId) throw new InvalidError(`workspace ${id} not found`, { pointer: `/data/${index}/id` });
    found.push(workspace.id);
  }
  await tagStore.attachWorkspaces(ctx.db, tag.id, [...new Set(found)]);
}
