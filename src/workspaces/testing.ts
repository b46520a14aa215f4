import assert from 'node:assert/strict';
import type { ApiResponse, TestServer } from '../../test/harness.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { newId, randomBase58 } from '../ids.js';

/** Shared by the workspace test files: request bodies, assertions, and an organization with tokens of every kind. */

export const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export const unique = (prefix: string) => `${prefix}-${randomBase58(8).toLowerCase()}`;

export function wsBody(attributes: Record<string, unknown>, relationships?: Record<string, unknown>, type = 'workspaces') {
  return { data: { type, attributes, ...(relationships ? { relationships } : {}) } };
}

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
 * An organization owned by `owner`, a second organization owned by `stranger`, and tokens: the
 * organization's token, a member outside the owners team, an expired owner token.
 */
export class WorkspaceWorld {
  org = '';
  orgId = '';
  defaultProjectId = '';
  otherOrg = '';
  otherOrgId = '';
  ownerToken = '';
  ownerId = '';
  orgToken = '';
  memberToken = '';
  strangerToken = '';
  expiredToken = '';

  constructor(private readonly server: TestServer) {}

  async setUp(): Promise<void> {
    const owner = await this.server.createUser();
    const stranger = await this.server.createUser();
    const member = await this.server.createUser();
    this.ownerToken = owner.token;
    this.ownerId = owner.id;
    this.strangerToken = stranger.token;
    this.memberToken = member.token;
    this.org = unique('acme');
    this.orgId = await this.createOrganization(owner.token, this.org);
    this.otherOrg = unique('other');
    this.otherOrgId = await this.createOrganization(stranger.token, this.otherOrg);
    const db = this.server.database.db;
    await db
      .insertInto('organization_memberships')
      .values({ id: newId('ou'), organization_id: this.orgId, user_id: member.id, status: 'active' })
      .execute();
    this.orgToken = await this.insertToken({ kind: 'organization', organizationId: this.orgId });
    this.expiredToken = await this.insertToken({ kind: 'user', userId: owner.id, expiredAt: new Date(Date.now() - 60_000) });
    const project = await db
      .selectFrom('projects')
      .select('id')
      .where('organization_id', '=', this.orgId)
      .where('is_default', '=', true)
      .executeTakeFirstOrThrow();
    this.defaultProjectId = project.id;
  }

  async createOrganization(token: string, name: string): Promise<string> {
    const res = await this.server.api('POST', '/api/v2/organizations', {
      token,
      body: { data: { type: 'organizations', attributes: { name, email: `${name}@example.com` } } },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.data.attributes['external-id'];
  }

  async insertToken(token: {
    kind: 'organization' | 'user' | 'team';
    organizationId?: string;
    userId?: string;
    teamId?: string;
    expiredAt?: Date;
  }): Promise<string> {
    const { secret, hash } = generateToken();
    await tokenStore.insert(this.server.database.db, { id: newId('at'), hash, ...token });
    return secret;
  }

  /** A project of the organization other than the default one (inserted directly: projects are another domain). */
  async insertProject(organizationId = this.orgId): Promise<string> {
    const id = newId('prj');
    await this.server.database.db
      .insertInto('projects')
      .values({ id, organization_id: organizationId, name: unique('project') })
      .execute();
    return id;
  }

  api(method: string, path: string, token: string, body?: unknown): Promise<ApiResponse> {
    return this.server.api(method, `/api/v2${path}`, { token, body });
  }

  /** Creates a workspace as the owner and returns its resource object. */
  async createWorkspace(attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>, org = this.org, token = this.ownerToken) {
    const res = await this.api('POST', `/organizations/${org}/workspaces`, token, wsBody({ name: unique('ws'), ...attributes }, relationships));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }
}
