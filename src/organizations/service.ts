import { authorize, requireUser } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as organizationStore from './store.js';

export type { Organization } from './store.js';

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

export interface CreateOrganizationInput {
  name: string;
  email: string;
  settings: Record<string, unknown>;
}

/**
 * Creates an organization with its owners team (the creator its first member) and the creator's
 * active membership, in one transaction. Only user tokens create organizations (api-tokens.mdx).
 */
export async function createOrganization(ctx: Ctx, input: CreateOrganizationInput): Promise<organizationStore.Organization> {
  const user = requireUser(ctx);
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const org = await organizationStore.insert(trx, { id: newId('org'), name: input.name, email: input.email, settings: input.settings });
      await organizationStore.insertFounder(trx, { teamId: newId('team'), membershipId: newId('ou'), organizationId: org.id, userId: user.userId });
      return org;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'organizations_name_key')) throw new ConflictError(`organization ${input.name} already exists`, { pointer: '/data/attributes/name' });
    throw err;
  }
}
