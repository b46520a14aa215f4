import assert from 'node:assert/strict';
import { generateToken } from '../src/auth/secrets.js';
import * as tokenStore from '../src/auth/token-store.js';
import { newId, randomBase58, type WorkspaceId } from '../src/ids.js';
import type { ApiResponse, TestServer } from './harness.js';

/** Shared by the HTTP test files: assertions, request bodies, and an organization with tokens of every kind. */

export const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export const unique = (prefix: string) => `${prefix}-${randomBase58(8).toLowerCase()}`;

/** How `eventually` waits: its limit, how often it reads, and what a failure adds to the last value read. */
export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  detail?: () => string;
}

/**
 * Reads until `isDone` holds for what was read, and returns that; fails after `timeoutMs` (10 s
 * unless given) naming what it waited for and the last value read.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  isDone: (value: T) => boolean,
  what: string,
  { timeoutMs = 10_000, intervalMs = 100, detail }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)?.slice(0, 2000)} after ${timeoutMs} ms${detail ? `\n${detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The request-document builder of one resource type: `(attributes, relationships?, type?)`, where `type`
 * (by default `defaultType`) can be set to test a wrong one.
 */
export function resourceBody(defaultType: string) {
  return (attributes: Record<string, unknown>, relationships?: Record<string, unknown>, type = defaultType) => ({
    data: { type, attributes, ...(relationships ? { relationships } : {}) },
  });
}

/** The `meta.pagination` of a list whose `count` items fit on one page of the default size. */
export function onePage(count: number) {
  return { 'current-page': 1, 'page-size': 20, 'prev-page': null, 'next-page': null, 'total-pages': 1, 'total-count': count };
}

/** An error response with `status`, in the status line and in the first error object, whose detail matches `detail` when given. */
export function assertError(res: ApiResponse, status: number, detail?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.errors[0].status, String(status));
  if (detail) assert.match(res.body.errors[0].detail, detail);
}

export function assertInvalid(res: ApiResponse, pointer: string, detail?: RegExp): void {
  assertError(res, 422, detail);
  assert.equal(res.body.errors[0].source?.pointer, pointer, res.text);
}

export function assertInvalidParameter(res: ApiResponse, parameter: string): void {
  assertError(res, 422);
  assert.equal(res.body.errors[0].source?.parameter, parameter, res.text);
}

/**
 * An organization created by `owner`, another organization created by a stranger, and tokens: the
 * organization's token, a member outside the owners team, an expired owner token. Call `setUp` in a
 * `before` hook. Projects and workspaces can be inserted directly, as rows their APIs would write.
 */
export class OrganizationWorld {
  org = '';
  orgId = '';
  defaultProjectId = '';
  otherOrg = '';
  otherOrgId = '';
  otherDefaultProjectId = '';
  ownerToken = '';
  ownerId = '';
  orgToken = '';
  memberToken = '';
  strangerToken = '';
  expiredToken = '';

  constructor(protected readonly server: TestServer) {}

  async setUp(): Promise<void> {
    const [owner, stranger, member] = [await this.server.createUser(), await this.server.createUser(), await this.server.createUser()];
    this.ownerToken = owner.token;
    this.ownerId = owner.id;
    this.strangerToken = stranger.token;
    this.memberToken = member.token;
    this.org = unique('acme');
    this.orgId = await this.createOrganization(owner.token, this.org);
    this.otherOrg = unique('other');
    this.otherOrgId = await this.createOrganization(stranger.token, this.otherOrg);
    this.defaultProjectId = await this.defaultProjectOf(this.orgId);
    this.otherDefaultProjectId = await this.defaultProjectOf(this.otherOrgId);
    await this.server.database.db
      .insertInto('organization_memberships')
      .values({ id: newId('ou'), organization_id: this.orgId, user_id: member.id, status: 'active' })
      .execute();
    this.orgToken = await this.insertToken({ kind: 'organization', organizationId: this.orgId });
    this.expiredToken = await this.insertToken({ kind: 'user', userId: owner.id, expiredAt: new Date(Date.now() - 60_000) });
  }

  api(method: string, path: string, token: string, body?: unknown): Promise<ApiResponse> {
    return this.server.api(method, `/api/v2${path}`, { token, body });
  }

  /** Creates an organization through the API and returns its id. */
  async createOrganization(token: string, name: string): Promise<string> {
    const res = await this.api('POST', '/organizations', token, { data: { type: 'organizations', attributes: { name, email: `${name}@example.com` } } });
    assert.equal(res.status, 201, res.text);
    return res.body.data.attributes['external-id'];
  }

  async defaultProjectOf(organizationId: string): Promise<string> {
    const row = await this.server.database.db
      .selectFrom('projects')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('is_default', '=', true)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async insertToken(token: {
    kind: 'organization' | 'user' | 'team' | 'agent';
    organizationId?: string;
    agentPoolId?: string | null;
    userId?: string;
    teamId?: string;
    expiredAt?: Date;
  }): Promise<string> {
    const { secret, hash } = generateToken();
    await tokenStore.insert(this.server.database.db, { id: newId('at'), hash, ...token });
    return secret;
  }

  /** A project other than the default one. */
  async insertProject(organizationId = this.orgId, name = unique('project')): Promise<string> {
    const id = newId('prj');
    await this.server.database.db.insertInto('projects').values({ id, organization_id: organizationId, name }).execute();
    return id;
  }

  async insertWorkspace(projectId = this.defaultProjectId, organizationId = this.orgId, name = unique('ws')): Promise<WorkspaceId> {
    const id = newId('ws');
    await this.server.database.db
      .insertInto('workspaces')
      .values({ id, organization_id: organizationId, project_id: projectId, name, terraform_version: '1.11.4' })
      .execute();
    return id;
  }
}
