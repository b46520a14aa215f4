import { requireUser } from '../auth/authorize.js';
import * as agentTokenService from '../agent-tokens/service.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as teamService from '../teams/service.js';
import * as userService from '../users/service.js';
import * as teamTokenStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { TeamTokenSortField } from './store.js';

/**
 * Team tokens (team-tokens.mdx): the legacy single token of `/teams/:id/authentication-token`, and
 * tokens with a description of `/teams/:id/authentication-tokens`. Whoever may manage all of a team's
 * tokens (manage teams) sees and revokes them; a member, while the team allows member token management,
 * only the described tokens they generated (teams/service.ts tokenAccess).
 */

/** Loads a team whose tokens the caller manages (`needs` 'all', or at least their own); otherwise the team is not found. */
async function teamWithManagedTokens(ctx: Ctx, teamId: string, needs: 'all' | 'own'): Promise<teamService.Team> {
  const team = await teamService.findVisible(ctx, teamId);
  const access = await teamService.tokenAccess(ctx, team);
  if (access === 'none' || (needs === 'all' && access !== 'all')) throw new NotFoundError(`team ${teamId} not found`);
  return team;
}

export interface GenerateInput {
  /** null for the legacy token. */
  description: string | null;
  expiredAt: Date | null;
}

/**
 * Generates a token for the team. The legacy one (no description) replaces the previous legacy token in
 * the same transaction, revoking it; a described one joins the team's other tokens.
 */
export async function generate(ctx: Ctx, teamId: string, input: GenerateInput): Promise<{ token: tokenStore.Token; secret: string }> {
  // The legacy token replaces the one in use: managers only.
  const team = await teamWithManagedTokens(ctx, teamId, input.description === null ? 'all' : 'own');
  if (input.expiredAt && input.expiredAt <= ctx.now()) throw new InvalidError('expired-at must be in the future', { pointer: '/data/attributes/expired-at' });
  const { secret, hash } = generateToken();
  // created-by names a user; a team or organization token that generates one leaves it null.
  const createdById = ctx.subject.kind === 'user' ? ctx.subject.userId : null;
  try {
    const token = await ctx.db.transaction().execute(async (trx) => {
      if (input.description === null) await teamTokenStore.deleteLegacy(trx, team.id);
      return tokenStore.insert(trx, {
        id: newId('at'),
        kind: 'team',
        hash,
        teamId: team.id,
        description: input.description,
        createdById,
        expiredAt: input.expiredAt,
      });
    });
    return { token, secret };
  } catch (err) {
    if (isUniqueViolation(err, teamTokenStore.DESCRIPTION_CONSTRAINT)) {
      throw new InvalidError(`team ${team.name} already has a token described "${input.description}"`, { pointer: '/data/attributes/description' });
    }
    // Two legacy generations at once: the other one won.
    if (isUniqueViolation(err, teamTokenStore.LEGACY_CONSTRAINT)) throw new ConflictError('another legacy token was generated at the same time; retry');
    throw err;
  }
}

/** The multiple-token API needs a description: a token without one is the legacy token (api-tokens.mdx "Team API Tokens"). */
export function requireDescription(description: string | null): string {
  if (description === null || description.trim() === '') {
    throw new InvalidError('description is required; the legacy /authentication-token endpoint makes a token without one', {
      pointer: '/data/attributes/description',
    });
  }
  return description;
}

export async function showLegacy(ctx: Ctx, teamId: string): Promise<tokenStore.Token> {
  const team = await teamWithManagedTokens(ctx, teamId, 'all');
  const token = await teamTokenStore.findLegacy(ctx.db, team.id);
  if (!token) throw new NotFoundError(`team ${team.name} has no legacy token`);
  return token;
}

export async function destroyLegacy(ctx: Ctx, teamId: string): Promise<void> {
  const team = await teamWithManagedTokens(ctx, teamId, 'all');
  if (!(await teamTokenStore.deleteLegacy(ctx.db, team.id))) throw new NotFoundError(`team ${team.name} has no legacy token`);
}

/** A team token the caller manages (any of the team's, or one they generated); otherwise the token is not found. */
async function managedTeamToken(ctx: Ctx, token: tokenStore.Token): Promise<tokenStore.Token> {
  const isOwn = ctx.subject.kind === 'user' && token.createdById === ctx.subject.userId && token.description !== null;
  try {
    await teamWithManagedTokens(ctx, token.teamId as string, isOwn ? 'own' : 'all');
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`authentication token ${token.id} not found`);
    throw err;
  }
  return token;
}

/**
 * `/authentication-tokens/:id` serves user tokens (user-tokens.mdx), team tokens (team-tokens.mdx
 * "Show a team token") and agent tokens (agent-tokens.mdx "Show an Agent Token"); any other token, or
 * one the caller does not manage, is a 404.
 */
export async function showAny(ctx: Ctx, id: string): Promise<tokenStore.Token> {
  const token = await tokenStore.findById(ctx.db, id);
  if (token?.kind === 'agent') return agentTokenService.show(ctx, token);
  return token?.kind === 'team' ? managedTeamToken(ctx, token) : userService.showUserToken(ctx, id);
}

export async function destroyAny(ctx: Ctx, id: string): Promise<void> {
  const token = await tokenStore.findById(ctx.db, id);
  if (token?.kind === 'agent') return agentTokenService.destroy(ctx, token);
  if (token?.kind !== 'team') return userService.deleteUserToken(ctx, id);
  await managedTeamToken(ctx, token);
  if (!(await tokenStore.deleteById(ctx.db, token.id))) throw new NotFoundError(`authentication token ${id} not found`);
}

/** The team's tokens the caller manages (teams/service.ts tokenAccess): all of them, or the described ones they generated. */
export async function listForTeam(ctx: Ctx, teamId: string): Promise<tokenStore.Token[]> {
  const team = await teamWithManagedTokens(ctx, teamId, 'own');
  const access = await teamService.tokenAccess(ctx, team);
  return teamTokenStore.listForTeam(ctx.db, team.id, access === 'all' ? undefined : requireUser(ctx).userId);
}

export interface ListOptions {
  search?: string | undefined;
  sort: { field: teamTokenStore.TeamTokenSortField; descending: boolean };
  page: Page;
}

/** The organization's team tokens, of the teams the caller sees (team-tokens.mdx "List team tokens"). */
export async function listForOrganization(ctx: Ctx, organizationName: string, options: ListOptions): Promise<Paged<tokenStore.Token>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'team:manage-tokens');
  const filter = { search: options.search, visibleWithSecret: await teamService.secretTeamsSeen(ctx, org.id) };
  return teamTokenStore.selectPage(ctx.db, org.id, filter, options.sort, { limit: options.page.size, offset: pageOffset(options.page) });
}

/** Deletes team tokens of the organization at once (OpenAPI deleteTeamTokensForAnOrganization); all or nothing. */
export async function destroyMany(ctx: Ctx, organizationName: string, ids: readonly string[]): Promise<void> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'team:manage-tokens');
  const tokens = await teamTokenStore.findManyInOrganization(ctx.db, org.id, ids);
  for (const [index, id] of ids.entries()) {
    const token = tokens.find((t) => t.id === id);
    if (!token) throw new NotFoundError(`team token ${id} not found (data/${index})`);
    await teamWithManagedTokens(ctx, token.teamId as string, 'all');
  }
  await teamTokenStore.deleteMany(ctx.db, ids);
}
