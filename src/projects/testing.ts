import assert from 'node:assert/strict';
import type { ApiResponse, TestServer } from '../../test/harness.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { newId, randomBase58 } from '../ids.js';

/** Shared by the project and organization-tag test files: assertions and an organization with tokens of every kind. */

export const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export const unique = (prefix: string) => `${prefix}-${randomBase58(8).toLowerCase()}`;

export function projectBody(attributes: Record<string, unknown>, relationships?: Record<string, unknown>, type = 'projects') {
  return { data: { type, attributes, ...(relationships ? { relationships } : {}) } };
}

/** A tag-binding resource object; `value` left out when undefined. */
export function binding(key: string, value?: string | null) {
  return { type: 'tag-bindings', attributes: value === undefined ? { key } : { key, value } };
}

export const withBindings = (...bindings: unknown[]) => ({ 'tag-bindings': { data: bindings } });

export const RELATIONSHIP_POINTER = '/data/relationships/tag-bindings/data';

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
 * organization's token, a member outside the owners team, an expired owner token.
 */
export class ProjectWorld {
  org = '';
  orgId = '';
  defaultProjectId = '';
  otherOrg = '';
  otherOrgId = '';
  otherDefaultProjectId = '';
  ownerToken = '';
  orgToken = '';
  memberToken = '';
  strangerToken = '';
  expiredToken = '';

  constructor(private readonly server: TestServer) {}

  async setUp(): Promise<void> {
    const [owner, stranger, member] = [await this.server.createUser(), await this.server.createUser(), await this.server.createUser()];
    this.ownerToken = owner.token;
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

  private async createOrganization(token: string, name: string): Promise<string> {
    const res = await this.api('POST', '/organizations', token, { data: { type: 'organizations', attributes: { name, email: `${name}@example.com` } } });
    assert.equal(res.status, 201, res.text);
    return res.body.data.attributes['external-id'];
  }

  private async defaultProjectOf(organizationId: string): Promise<string> {
    const row = await this.server.database.db
      .selectFrom('projects')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('is_default', '=', true)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  private async insertToken(token: { kind: 'organization' | 'user'; organizationId?: string; userId?: string; expiredAt?: Date }): Promise<string> {
    const { secret, hash } = generateToken();
    await tokenStore.insert(this.server.database.db, { id: newId('at'), hash, ...token });
    return secret;
  }

  /** Creates a project as the owner and returns its resource object. */
  async createProject(attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>) {
    const res = await this.api(
      'POST',
      `/organizations/${this.org}/projects`,
      this.ownerToken,
      projectBody({ name: unique('project'), ...attributes }, relationships),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  /** The project's tag bindings as [key, value] pairs. */
  async bindingsOf(projectId: string): Promise<[string, string][]> {
    const res = await this.api('GET', `/projects/${projectId}/tag-bindings`, this.ownerToken);
    assert.equal(res.status, 200, res.text);
    return res.body.data.map((b: { attributes: { key: string; value: string } }) => [b.attributes.key, b.attributes.value]);
  }

  // Workspaces are written in parallel with these tests: insert the row the workspace API would.
  async insertWorkspace(projectId = this.defaultProjectId, organizationId = this.orgId): Promise<string> {
    const id = newId('ws');
    await this.server.database.db
      .insertInto('workspaces')
      .values({ id, organization_id: organizationId, project_id: projectId, name: unique('ws'), terraform_version: '1.11.4' })
      .execute();
    return id;
  }
}
