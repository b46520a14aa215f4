import { allowedActions, authorize, can, filterPermitted, requireUser } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as runDeletion from '../runs/deletion.js';
import { validateEmail } from '../users/service.js';
import * as workspaceBlobs from '../workspaces/blob-cleanup.js';
import { deleteAfterCommit } from '../blobs/delete-job.js';
import * as moduleStore from '../registry-modules/store.js';
import * as providerStore from '../registry-providers/store.js';
import { ENTITLEMENTS } from './entitlements.js';
import { defaultAgentPoolChange, type OrganizationSettings, resolveSettings, SETTING_DEFAULTS, validateSettings } from './settings.js';
import * as organizationStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { Organization } from './store.js';

/** The API docs give no rule; this is TFE's: letters, digits, `-` and `_`, 3 to 40 characters. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{3,40}$/;

function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidError('name must be 3 to 40 characters: letters, digits, "-" and "_"', { pointer: '/data/attributes/name' });
  }
}

function duplicateName(name: string): InvalidError {
  // The create and update tables list 422, not 409, for a bad request body (organizations.mdx).
  return new InvalidError(`name ${name} has already been taken`, { pointer: '/data/attributes/name' });
}

/** An organization as the caller sees it: effective settings and the actions the caller may perform on it. */
export interface OrganizationView {
  organization: organizationStore.Organization;
  settings: OrganizationSettings;
  allowed: ReadonlySet<Action>;
  defaultProjectId: string | null;
}

export async function viewOf(ctx: Ctx, organization: organizationStore.Organization): Promise<OrganizationView> {
  const [organizationWide, defaultProjectId] = await Promise.all([
    allowedActions(ctx, { organizationId: organization.id }),
    organizationStore.findDefaultProjectId(ctx.db, organization.id),
  ]);
  const allowed = new Set(organizationWide);
  // A workspace created without a project goes to the Default Project, where "Manage all workspaces" may create them.
  if (defaultProjectId && (await can(ctx, 'workspace:create', { organizationId: organization.id, projectId: defaultProjectId })))
    allowed.add('workspace:create');
  return { organization, settings: resolveSettings(organization.settings), allowed, defaultProjectId };
}

/**
 * Loads an organization by name and checks `action` on it. Missing and not permitted are the same 404.
 * Other domains call this first to resolve `:organization_name` in their paths.
 */
export async function findAuthorized(ctx: Ctx, name: string, action: Action): Promise<organizationStore.Organization> {
  const org = await organizationStore.findByName(ctx.db, name);
  if (!org) throw new NotFoundError(`organization ${name} not found`);
  await authorize(ctx, action, { organizationId: org.id, description: `organization ${name}` });
  return org;
}

export async function show(ctx: Ctx, name: string): Promise<OrganizationView> {
  return viewOf(ctx, await findAuthorized(ctx, name, 'organization:read'));
}

/** Views of the organizations by name that the caller may read, for `include=`, in one query; the others are left out. */
export async function readableViews(ctx: Ctx, names: readonly string[]): Promise<OrganizationView[]> {
  const organizations = await organizationStore.findManyByName(ctx.db, names);
  const readable = await filterPermitted(ctx, 'organization:read', organizations, (org) => ({ organizationId: org.id }));
  const views: OrganizationView[] = [];
  for (const org of readable) views.push(await viewOf(ctx, org));
  return views;
}

export interface ListOrganizationsOptions {
  /** `q`: name or email contains; takes precedence over `name` and `email` (organizations.mdx "List Organizations"). */
  search?: string | undefined;
  name?: string | undefined;
  email?: string | undefined;
  page: Page;
}

/** The organizations the caller belongs to; a site admin sees all, an organization or team token its own. */
export async function list(ctx: Ctx, options: ListOrganizationsOptions): Promise<Paged<OrganizationView>> {
  const subject = ctx.subject;
  let scope: organizationStore.OrganizationFilter;
  if (subject.kind === 'user') scope = subject.isSiteAdmin ? {} : { memberUserId: subject.userId };
  else if (subject.kind === 'organization' || subject.kind === 'team') scope = { organizationId: subject.organizationId };
  else return { items: [], total: 0 };

  const search = options.search === undefined ? { name: options.name, email: options.email } : { search: options.search };
  const filter = Object.fromEntries(Object.entries({ ...scope, ...search }).filter(([, v]) => v !== undefined));
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { organizations, total } = await organizationStore.selectPage(ctx.db, filter, window);
  const views = [];
  for (const org of organizations) views.push(await viewOf(ctx, org));
  return { items: views, total };
}

export interface CreateOrganizationInput {
  name: string;
  email: string;
  /** Requested settings by wire name; validated here, only valid values are stored. */
  settings: Record<string, unknown>;
  /** The `default-agent-pool` relationship, when given (null: none); the `default-agent-pool-id` attribute is among `settings`. */
  defaultAgentPool?: string | null | undefined;
}

/**
 * The settings to store and the default agent pool to set (undefined: unchanged), checked against the
 * organization's current ones (none yet on create: then no pool of it exists, and `agent` is refused).
 */
async function settingsChange(
  ctx: Ctx,
  input: CreateOrganizationInput | UpdateOrganizationInput,
  current: organizationStore.Organization | undefined,
): Promise<{ settings: Partial<OrganizationSettings>; defaultAgentPoolId: string | null | undefined }> {
  const currentSettings = current ? resolveSettings(current.settings) : SETTING_DEFAULTS;
  const settings = validateSettings(input.settings);
  const attribute = input.settings['default-agent-pool-id'] as string | null | undefined;
  if (attribute !== undefined && input.defaultAgentPool !== undefined && attribute !== input.defaultAgentPool) {
    throw new InvalidError('default-agent-pool-id and the default-agent-pool relationship name different pools', {
      pointer: '/data/relationships/default-agent-pool',
    });
  }
  const mode = settings['default-execution-mode'] ?? currentSettings['default-execution-mode'];
  const defaultAgentPoolId = defaultAgentPoolChange(mode, input.defaultAgentPool ?? attribute, current?.defaultAgentPoolId ?? null);
  if (defaultAgentPoolId && !(current && (await organizationStore.agentPoolExists(ctx.db, current.id, defaultAgentPoolId)))) {
    throw new InvalidError(`default-agent-pool-id: agent pool ${defaultAgentPoolId} not found in this organization`, {
      pointer: '/data/attributes/default-agent-pool-id',
    });
  }
  return { settings, defaultAgentPoolId };
}

/**
 * Creates an organization with its owners team (the creator its first member) and the creator's
 * active membership, in one transaction. Only user tokens create organizations (api-tokens.mdx).
 */
export async function createOrganization(ctx: Ctx, input: CreateOrganizationInput): Promise<organizationStore.Organization> {
  const user = requireUser(ctx);
  validateName(input.name);
  validateEmail(input.email);
  const { settings } = await settingsChange(ctx, input, undefined);
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const org = await organizationStore.insert(trx, { id: newId('org'), name: input.name, email: input.email, settings });
      await organizationStore.insertFounder(trx, { teamId: newId('team'), membershipId: newId('ou'), organizationId: org.id, userId: user.userId });
      await organizationStore.insertDefaultProject(trx, { projectId: newId('prj'), organizationId: org.id });
      return org;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'organizations_name_key')) throw duplicateName(input.name);
    throw err;
  }
}

export interface UpdateOrganizationInput {
  /** A new name: the organization's URL changes with it. */
  name?: string | undefined;
  email?: string | undefined;
  /** Settings to change, by wire name; the others keep their values. */
  settings: Record<string, unknown>;
  /** The `default-agent-pool` relationship, when given (null: none). */
  defaultAgentPool?: string | null | undefined;
}

/** Changes the name, email or settings. Owners only (api-tokens.mdx "Modify organizations"). */
export async function update(ctx: Ctx, name: string, input: UpdateOrganizationInput): Promise<OrganizationView> {
  const org = await findAuthorized(ctx, name, 'organization:update');
  if (input.name !== undefined) validateName(input.name);
  if (input.email !== undefined) validateEmail(input.email);
  const { settings, defaultAgentPoolId } = await settingsChange(ctx, input, org);
  let updated: organizationStore.Organization | undefined;
  try {
    updated = await organizationStore.update(ctx.db, org.id, { name: input.name, email: input.email, settings, defaultAgentPoolId });
  } catch (err) {
    if (isUniqueViolation(err, 'organizations_name_key')) throw duplicateName(input.name ?? name);
    throw err;
  }
  if (!updated) throw new NotFoundError(`organization ${name} not found`);
  return viewOf(ctx, updated);
}

/** Deletes the organization and everything in it. Owners only. */
export async function destroy(ctx: Ctx, name: string): Promise<void> {
  const org = await findAuthorized(ctx, name, 'organization:delete');
  await runDeletion.cancelForDeletion(ctx, { organizationId: org.id });
  await ctx.db.transaction().execute(async (trx) => {
    await workspaceBlobs.deleteBlobsAfterCommit(trx, { organizationId: org.id });
    // The registry's archives, which no foreign key reaches either.
    await deleteAfterCommit(trx, [
      ...(await moduleStore.blobKeysOfOrganization(trx, org.id)),
      ...(await providerStore.binaryKeys(trx, { organizationId: org.id })),
    ]);
    if (!(await organizationStore.deleteById(trx, org.id))) throw new NotFoundError(`organization ${name} not found`);
  });
}

export interface EntitlementSet {
  /** The organization's id (`org-…`), which is also the entitlement set's. */
  id: string;
  entitlements: typeof ENTITLEMENTS;
}

/** An organization's entitlement set: every organization has the same one. */
export function entitlementSetOf(organizationId: string): EntitlementSet {
  return { id: organizationId, entitlements: ENTITLEMENTS };
}

/** The entitlement set of an organization by name: what the CLI reads first on every command (cli-protocol.md §2.3). */
export async function showEntitlementSet(ctx: Ctx, name: string): Promise<EntitlementSet> {
  const org = await findAuthorized(ctx, name, 'organization:read-entitlements');
  return entitlementSetOf(org.id);
}

/** The entitlement set by its id, the target of its `links.self`. */
export async function showEntitlementSetById(ctx: Ctx, id: string): Promise<EntitlementSet> {
  const org = await organizationStore.findById(ctx.db, id);
  if (!org) throw new NotFoundError(`entitlement set ${id} not found`);
  await authorize(ctx, 'organization:read-entitlements', { organizationId: org.id, description: `entitlement set ${id}` });
  return entitlementSetOf(org.id);
}
