import type { Readable } from 'node:stream';
import { authorize, filterPermitted } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import { archiveLimits } from '../configuration-versions/upload-service.js';
import { validationSlots } from '../configuration-versions/validation-slots.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { isWorkspaceId, newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as policyStore from '../policies/store.js';
import * as projectStore from '../projects/store.js';
import { ArchiveError, readFiles } from '../runner/extract.js';
import * as workspaceStore from '../workspaces/store.js';
import { isPolicySetFile, PolicyConfigError, readModules, readPolicies } from './policy-config.js';
import * as policySetStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { PolicySet, PolicySetVersion, TargetKind, Targets } from './store.js';

/**
 * OPA policy sets (policy-sets.mdx), managed by owners and teams with "Manage Policies": what they
 * apply to, and their versions uploaded as a `.tar.gz` (the VCS-less flow). Sentinel is not available:
 * Terrace evaluates Rego with its own engine (src/rego), and has no Sentinel runtime.
 */

export interface PolicySetView {
  set: policySetStore.PolicySet;
  targets: policySetStore.Targets;
  policyCount: number;
}

export interface PolicySetInput {
  name?: string | undefined;
  description?: string | null | undefined;
  global?: boolean | undefined;
  kind?: string | undefined;
  overridable?: boolean | undefined;
  agentEnabled?: boolean | undefined;
  policyToolVersion?: string | undefined;
  targets?: Partial<policySetStore.Targets> | undefined;
}

export interface VersionView {
  version: policySetStore.PolicySetVersion;
  uploadUrl: string | null;
}

const ATTRIBUTES = '/data/attributes';
/** Letters, numbers, `-` and `_` (policy-sets.mdx "Create a policy set"). */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const UPLOAD_URL_TTL_SECONDS = 60 * 60;
/** Rego and policies.hcl files are small; a larger one is left out (and then missing). */
const MAX_POLICY_FILE_BYTES = 512 * 1024;
const RELATIONSHIP: Record<policySetStore.TargetKind, string> = {
  workspace: 'workspaces',
  project: 'projects',
  exclusion: 'workspace-exclusions',
  policy: 'policies',
};

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

const targetOf = (set: policySetStore.PolicySet) => ({ organizationId: set.organizationId, description: `policy set ${set.id}` });

async function viewsOf(ctx: Ctx, sets: readonly policySetStore.PolicySet[]): Promise<PolicySetView[]> {
  const ids = sets.map((s) => s.id);
  const [targets, versions] = await Promise.all([
    policySetStore.targetsOf(ctx.db, ids),
    policySetStore.findVersions(
      ctx.db,
      sets.flatMap((s) => (s.currentVersionId ? [s.currentVersionId] : [])),
    ),
  ]);
  const policyCounts = new Map(versions.map((v) => [v.id, v.policies.length]));
  return sets.map((set) => ({
    set,
    targets: targets.get(set.id) ?? { workspace: [], project: [], exclusion: [], policy: [] },
    policyCount: (set.currentVersionId && policyCounts.get(set.currentVersionId)) || (targets.get(set.id)?.policy.length ?? 0),
  }));
}

export async function findAuthorized(ctx: Ctx, id: string, action: Action): Promise<policySetStore.PolicySet> {
  const set = await policySetStore.findById(ctx.db, id);
  if (!set) throw new NotFoundError(`policy set ${id} not found`);
  await authorize(ctx, action, targetOf(set));
  return set;
}

async function reload(ctx: Ctx, id: string): Promise<PolicySetView> {
  const set = await policySetStore.findById(ctx.db, id);
  if (!set) throw new NotFoundError(`policy set ${id} not found`);
  return (await viewsOf(ctx, [set]))[0] as PolicySetView;
}

/** Views of the sets by id that the caller may read, for `include=`; the others are left out. */
export async function readableViews(ctx: Ctx, ids: readonly string[]): Promise<PolicySetView[]> {
  return viewsOf(ctx, await filterPermitted(ctx, 'policy-set:read', await policySetStore.findManyById(ctx.db, ids), targetOf));
}

export async function show(ctx: Ctx, id: string): Promise<PolicySetView> {
  return (await viewsOf(ctx, [await findAuthorized(ctx, id, 'policy-set:read')]))[0] as PolicySetView;
}

export async function list(
  ctx: Ctx,
  organizationName: string,
  filter: policySetStore.ListFilter & { kind?: string | undefined },
  page: Page,
): Promise<Paged<PolicySetView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'policy-set:read');
  // Every set is OPA: a filter on Sentinel lists none.
  if (filter.kind === 'sentinel') return { items: [], total: 0 };
  const { sets, total } = await policySetStore.pageInOrganization(ctx.db, org.id, filter, { limit: page.size, offset: pageOffset(page) });
  return { items: await viewsOf(ctx, sets), total };
}

function validate(input: PolicySetInput, current: policySetStore.PolicySet | undefined): void {
  if (input.name !== undefined && !NAME_PATTERN.test(input.name)) throw invalid('name', 'name must be 1 to 128 letters, numbers, "-" and "_"');
  if (input.kind !== undefined && input.kind !== 'opa') {
    throw invalid('kind', `${input.kind} policy sets are not available: Terrace evaluates OPA (Rego) policies only; use kind "opa"`);
  }
  const global = input.global ?? current?.global ?? false;
  for (const kind of ['workspace', 'project'] as const) {
    if (global && (input.targets?.[kind]?.length ?? 0) > 0) {
      throw new InvalidError(`a global policy set applies to every workspace: it takes no ${RELATIONSHIP[kind]}`, {
        pointer: `/data/relationships/${RELATIONSHIP[kind]}`,
      });
    }
  }
}

/** The ids that are not the organization's workspaces or projects: a 422 naming them. */
async function checkTargets(ctx: Ctx, organizationId: string, kind: policySetStore.TargetKind, ids: readonly string[], pointer: string): Promise<void> {
  if (ids.length === 0) return;
  const inOrganization = (rows: readonly { id: string; organizationId: string }[]) => rows.filter((r) => r.organizationId === organizationId).map((r) => r.id);
  const found: string[] =
    kind === 'project'
      ? inOrganization(await projectStore.findManyById(ctx.db, ids))
      : kind === 'policy'
        ? inOrganization(await policyStore.findManyById(ctx.db, ids))
        : (await workspaceStore.findManyById(ctx.db, organizationId, ids.filter(isWorkspaceId))).map((w) => w.id);
  const missing = ids.filter((id) => !found.includes(id));
  if (missing.length > 0) throw new InvalidError(`${RELATIONSHIP[kind]} not found: ${missing.join(', ')}`, { pointer });
}

async function checkAllTargets(ctx: Ctx, organizationId: string, targets: Partial<policySetStore.Targets> | undefined): Promise<void> {
  for (const kind of policySetStore.TARGET_KINDS) {
    const ids = targets?.[kind];
    if (ids) await checkTargets(ctx, organizationId, kind, ids, `/data/relationships/${RELATIONSHIP[kind]}`);
  }
}

function fields(input: PolicySetInput): Partial<policySetStore.PolicySetFields> {
  return {
    name: input.name,
    description: input.description,
    global: input.global,
    overridable: input.overridable,
    agentEnabled: input.agentEnabled,
    policyToolVersion: input.policyToolVersion,
  };
}

/** Creates a set (policy-sets.mdx "Create a policy set"): name is required; kind must be opa. */
export async function create(ctx: Ctx, organizationName: string, input: PolicySetInput): Promise<PolicySetView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'policy-set:manage');
  if (input.name === undefined) throw invalid('name', 'name is required');
  // The documented default kind is sentinel: a client that leaves it out asks for what Terrace has not.
  validate({ ...input, kind: input.kind ?? 'sentinel' }, undefined);
  await checkAllTargets(ctx, org.id, input.targets);
  const id = newId('polset');
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await policySetStore.insert(trx, { ...fields(input), id, organizationId: org.id, name: input.name as string, now: ctx.now() });
      for (const kind of policySetStore.TARGET_KINDS) await policySetStore.addTargets(trx, id, kind, input.targets?.[kind] ?? []);
    });
  } catch (err) {
    if (isUniqueViolation(err, policySetStore.NAME_CONSTRAINT)) throw invalid('name', `name ${input.name} has already been taken`);
    throw err;
  }
  return reload(ctx, id);
}

/** Updates a set; a relationship given replaces that kind of target (an empty list clears it). */
export async function update(ctx: Ctx, id: string, input: PolicySetInput): Promise<PolicySetView> {
  const set = await findAuthorized(ctx, id, 'policy-set:manage');
  validate(input, set);
  if ((input.targets?.policy?.length ?? 0) > 0) refuseIndividualPolicies(set, '/data/relationships/policies');
  await checkAllTargets(ctx, set.organizationId, input.targets);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await policySetStore.update(trx, set.id, fields(input), ctx.now());
      // Turning a set global drops its workspace and project attachments, which no longer mean anything.
      const replaced = input.global ? { ...input.targets, workspace: [], project: [] } : input.targets;
      for (const kind of policySetStore.TARGET_KINDS) {
        const ids = replaced?.[kind];
        if (ids === undefined) continue;
        await policySetStore.removeTargets(trx, set.id, kind);
        await policySetStore.addTargets(trx, set.id, kind, ids);
      }
    });
  } catch (err) {
    if (isUniqueViolation(err, policySetStore.NAME_CONSTRAINT)) throw invalid('name', `name ${input.name} has already been taken`);
    throw err;
  }
  return reload(ctx, set.id);
}

export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const set = await findAuthorized(ctx, id, 'policy-set:manage');
  await policySetStore.deleteById(ctx.db, set.id);
}

/** A set is versioned (uploaded versions) or has individual policies, never both (policy-sets.mdx). */
function refuseIndividualPolicies(set: policySetStore.PolicySet, pointer: string): void {
  if (set.newestVersionId !== null) {
    throw new InvalidError(`policy set ${set.name} is versioned: its policies come from its uploaded versions, not individual policies`, { pointer });
  }
}

/** `POST /policy-sets/:id/relationships/<kind>`: adds targets (all or none); a global set takes no workspaces or projects. */
export async function addTargets(ctx: Ctx, id: string, kind: policySetStore.TargetKind, ids: readonly string[]): Promise<void> {
  const set = await findAuthorized(ctx, id, 'policy-set:manage');
  if (kind === 'policy') refuseIndividualPolicies(set, '/data');
  if (set.global && kind !== 'exclusion') {
    throw new InvalidError(`policy set ${set.name} is global: it applies to every workspace and takes no ${RELATIONSHIP[kind]}`, { pointer: '/data' });
  }
  await checkTargets(ctx, set.organizationId, kind, ids, '/data');
  await policySetStore.addTargets(ctx.db, set.id, kind, ids);
}

/** `DELETE /policy-sets/:id/relationships/<kind>`: removes those targets; ids it did not have are ignored. */
export async function removeTargets(ctx: Ctx, id: string, kind: policySetStore.TargetKind, ids: readonly string[]): Promise<void> {
  const set = await findAuthorized(ctx, id, 'policy-set:manage');
  await policySetStore.removeTargets(ctx.db, set.id, kind, ids);
}

// ---- Versions (policy-sets.mdx "Create a policy set version", "Upload policy set versions") ----

export function uploadPath(versionId: string): string {
  return `/_blobs/policy-set-versions/${encodeURIComponent(versionId)}/upload`;
}

function versionView(ctx: Ctx, version: policySetStore.PolicySetVersion): VersionView {
  return { version, uploadUrl: version.status === 'pending' ? signedUrl(ctx, uploadPath(version.id), UPLOAD_URL_TTL_SECONDS) : null };
}

export async function createVersion(ctx: Ctx, setId: string): Promise<VersionView> {
  const set = await findAuthorized(ctx, setId, 'policy-set:manage');
  // policy-sets.mdx "Create a policy set version": 422 when the set does not support uploading versions.
  if ((await policySetStore.targetsOf(ctx.db, [set.id])).get(set.id)?.policy.length) {
    throw new InvalidError(`policy set ${set.name} has individual policies: it takes no uploaded versions`, { pointer: '/data' });
  }
  const id = newId('polsetver');
  await ctx.db.transaction().execute((trx) => policySetStore.insertVersion(trx, { id, policySetId: set.id, now: ctx.now() }));
  const version = await policySetStore.findVersion(ctx.db, id);
  if (!version) throw new NotFoundError(`policy set version ${id} not found`);
  return versionView(ctx, version);
}

/** The versions by id whose sets the caller may read. */
export async function visibleVersions(ctx: Ctx, ids: readonly string[]): Promise<VersionView[]> {
  const versions = await policySetStore.findVersions(ctx.db, ids);
  const readable = new Set((await readableViews(ctx, [...new Set(versions.map((v) => v.policySetId))])).map((v) => v.set.id));
  return versions.filter((v) => readable.has(v.policySetId)).map((v) => versionView(ctx, v));
}

export async function showVersion(ctx: Ctx, id: string): Promise<VersionView> {
  const [view] = await visibleVersions(ctx, [id]);
  if (!view) throw new NotFoundError(`policy set version ${id} not found`);
  return view;
}

/**
 * The upload to a version's URL (the signature is the authorization): the archive is read with the
 * configuration versions' safe extraction budget, never written to disk; its policies and Rego become
 * the version, which is then ready (and the set's current version), or errored with the reason (a 422).
 */
export async function upload(ctx: Ctx, versionId: string, expiry: string, signature: string, body: Readable): Promise<void> {
  if (!verifySignature(ctx.config, uploadPath(versionId), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const version = await policySetStore.findVersion(ctx.db, versionId);
  if (!version) throw new NotFoundError(`policy set version ${versionId} not found`);
  if (version.status !== 'pending') throw new ConflictError(`policy set version ${versionId} is ${version.status}: only a pending version takes an upload`);
  type Read = { policies: policySetStore.StoredPolicy[]; modules: Record<string, string> } | { error: string };
  const read = await validationSlots(ctx.config).run(async (): Promise<Read> => {
    try {
      const files = await readFiles(body, archiveLimits(ctx.config), isPolicySetFile, MAX_POLICY_FILE_BYTES);
      const policies = await readPolicies(files);
      return { policies, modules: await readModules(files, policies) };
    } catch (err) {
      if (err instanceof ArchiveError || err instanceof PolicyConfigError) return { error: err.message };
      throw err;
    }
  });
  const finished = await ctx.db
    .transaction()
    .execute((trx) =>
      policySetStore.finishVersion(trx, version, 'error' in read ? { status: 'errored', error: read.error } : { status: 'ready', ...read }, ctx.now()),
    );
  if ('error' in read) throw new InvalidError(`the policy set archive was refused: ${read.error}`);
  if (!finished) throw new ConflictError(`policy set version ${versionId} is no longer pending`);
}
