import * as agentPoolService from '../agent-pools/service.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Ctx } from '../context.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as agentTokenStore from './store.js';
import type { Paged } from '../db/paging.js';

/**
 * Agent tokens (agent-tokens.mdx): the secrets agents of a pool authenticate with. Shown once at
 * creation, stored hashed; managed by whoever manages agent pools. They authorize nothing in the API
 * itself (auth/subject.ts), only the agent protocol.
 */

export async function list(ctx: Ctx, poolId: string, page: Page): Promise<Paged<tokenStore.Token>> {
  const pool = await agentPoolService.findAuthorized(ctx, poolId, 'agent-pool:manage');
  return agentTokenStore.selectPage(ctx.db, pool.id, { limit: page.size, offset: pageOffset(page) });
}

/** A new token of the pool; a description is required (agent-tokens.mdx "Create an Agent Token"). */
export async function create(ctx: Ctx, poolId: string, description: string | undefined): Promise<{ token: tokenStore.Token; secret: string }> {
  const pool = await agentPoolService.findAuthorized(ctx, poolId, 'agent-pool:manage');
  if (description === undefined || description.trim() === '') {
    throw new InvalidError('description is required', { pointer: '/data/attributes/description' });
  }
  const { secret, hash } = generateToken();
  const token = await tokenStore.insert(ctx.db, {
    id: newId('at'),
    kind: 'agent',
    hash,
    agentPoolId: pool.id,
    organizationId: pool.organizationId,
    description,
    createdById: ctx.subject.kind === 'user' ? ctx.subject.userId : null,
  });
  return { token, secret };
}

/** An agent token of a pool the caller manages; any other token is for `/authentication-tokens/:id`'s other kinds (team-tokens/service.ts). */
async function managed(ctx: Ctx, token: tokenStore.Token): Promise<tokenStore.Token> {
  const notFound = new NotFoundError(`authentication token ${token.id} not found`);
  if (token.agentPoolId === null) throw notFound;
  try {
    await agentPoolService.findAuthorized(ctx, token.agentPoolId, 'agent-pool:manage');
  } catch (err) {
    throw err instanceof NotFoundError ? notFound : err;
  }
  return token;
}

export function show(ctx: Ctx, token: tokenStore.Token): Promise<tokenStore.Token> {
  return managed(ctx, token);
}

/** Deletes the token: agents using it are refused from their next request on. */
export async function destroy(ctx: Ctx, token: tokenStore.Token): Promise<void> {
  await managed(ctx, token);
  if (!(await tokenStore.deleteById(ctx.db, token.id))) throw new NotFoundError(`authentication token ${token.id} not found`);
}
