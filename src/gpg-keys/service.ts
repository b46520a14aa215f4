import { readKey } from 'openpgp';
import { can } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { BadRequestError, ForbiddenError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as organizationStore from '../organizations/store.js';
import * as gpgKeyStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { GpgKey } from './store.js';

/**
 * GPG keys (gpg-keys.mdx): public keys of a namespace (an organization) that its provider versions'
 * SHA256SUMS are signed with, parsed with OpenPGP.js; added and changed with "Manage Providers", read
 * by the organization's members.
 */

const ATTRIBUTES = '/data/attributes';

/** Only the private registry has keys: the public one is HashiCorp's. */
function checkRegistryName(registryName: string): void {
  if (registryName === 'public') throw new ForbiddenError('GPG keys belong to the private registry');
  if (registryName !== 'private') throw new NotFoundError(`registry ${registryName} not found`);
}

/** The key ID of an ASCII-armoured public key, and the key as OpenPGP.js writes it back; 422 for anything else. */
async function parsePublicKey(asciiArmor: string): Promise<{ keyId: string; armored: string }> {
  let key: Awaited<ReturnType<typeof readKey>>;
  try {
    key = await readKey({ armoredKey: asciiArmor });
  } catch (err) {
    throw new InvalidError(`ascii-armor is not an OpenPGP public key: ${err instanceof Error ? err.message : String(err)}`, {
      pointer: `${ATTRIBUTES}/ascii-armor`,
    });
  }
  if (key.isPrivate()) throw new InvalidError('ascii-armor must be a public key: never upload a private key', { pointer: `${ATTRIBUTES}/ascii-armor` });
  return { keyId: key.getKeyID().toHex().toUpperCase(), armored: key.armor() };
}

export async function create(
  ctx: Ctx,
  registryName: string,
  input: { namespace?: string | undefined; asciiArmor?: string | undefined },
): Promise<gpgKeyStore.GpgKey> {
  checkRegistryName(registryName);
  if (input.namespace === undefined)
    throw new InvalidError('namespace is required: the organization the key belongs to', { pointer: `${ATTRIBUTES}/namespace` });
  const org = await organizationService.findAuthorized(ctx, input.namespace, 'registry-provider:manage');
  if (input.asciiArmor === undefined) throw new InvalidError('ascii-armor is required', { pointer: `${ATTRIBUTES}/ascii-armor` });
  const { keyId, armored } = await parsePublicKey(input.asciiArmor);
  try {
    await gpgKeyStore.insert(ctx.db, { id: newId('gpgkey'), organizationId: org.id, keyId, asciiArmor: armored, createdAt: ctx.now() });
  } catch (err) {
    if (isUniqueViolation(err, gpgKeyStore.KEY_CONSTRAINT))
      throw new InvalidError(`key ${keyId} is already in namespace ${org.name}`, { pointer: `${ATTRIBUTES}/ascii-armor` });
    throw err;
  }
  return show(ctx, registryName, org.name, keyId);
}

/** A key of a namespace the caller may `action` in; 404 otherwise. */
async function findAuthorized(ctx: Ctx, registryName: string, namespace: string, keyId: string, action: 'registry:read' | 'registry-provider:manage') {
  checkRegistryName(registryName);
  const org = await organizationService.findAuthorized(ctx, namespace, action);
  const key = await gpgKeyStore.find(ctx.db, org.id, keyId.toUpperCase());
  if (!key) throw new NotFoundError(`GPG key ${keyId} not found`);
  return key;
}

export async function show(ctx: Ctx, registryName: string, namespace: string, keyId: string): Promise<gpgKeyStore.GpgKey> {
  return findAuthorized(ctx, registryName, namespace, keyId, 'registry:read');
}

/** The keys of the namespaces named (`filter[namespace]`, required: 400) that the caller may read; 403 when none. */
export async function list(ctx: Ctx, registryName: string, namespaces: readonly string[] | undefined, page: Page): Promise<Paged<gpgKeyStore.GpgKey>> {
  checkRegistryName(registryName);
  if (!namespaces || namespaces.length === 0)
    throw new BadRequestError('filter[namespace] is required: one or more organization names', { parameter: 'filter[namespace]' });
  const organizationIds: string[] = [];
  for (const namespace of namespaces) {
    const org = await organizationStore.findByName(ctx.db, namespace);
    if (org && (await can(ctx, 'registry:read', { organizationId: org.id }))) organizationIds.push(org.id);
  }
  if (organizationIds.length === 0) throw new ForbiddenError('none of the namespaces is an organization you may read');
  return gpgKeyStore.page(ctx.db, organizationIds, { limit: page.size, offset: pageOffset(page) });
}

/** Moves a key to another namespace the caller manages providers in (the only attribute that changes). */
export async function update(
  ctx: Ctx,
  registryName: string,
  namespace: string,
  keyId: string,
  input: { namespace?: string | undefined },
): Promise<gpgKeyStore.GpgKey> {
  const key = await findAuthorized(ctx, registryName, namespace, keyId, 'registry-provider:manage');
  if (input.namespace === undefined || input.namespace === key.namespace) return key;
  const target = await organizationService.findAuthorized(ctx, input.namespace, 'registry-provider:manage');
  try {
    await gpgKeyStore.moveTo(ctx.db, key.id, target.id, ctx.now());
  } catch (err) {
    if (isUniqueViolation(err, gpgKeyStore.KEY_CONSTRAINT))
      throw new InvalidError(`key ${key.keyId} is already in namespace ${target.name}`, { pointer: `${ATTRIBUTES}/namespace` });
    throw err;
  }
  return show(ctx, registryName, target.name, key.keyId);
}

export async function destroy(ctx: Ctx, registryName: string, namespace: string, keyId: string): Promise<void> {
  const key = await findAuthorized(ctx, registryName, namespace, keyId, 'registry-provider:manage');
  await gpgKeyStore.deleteById(ctx.db, key.id);
}
