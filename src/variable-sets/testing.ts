import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ApiResponse, TestServer } from '../../test/harness.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import { newId, randomBase58 } from '../ids.js';

/** Shared by the variable-set test files: request bodies, assertions and one organization with workspaces and tokens. */

export const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;
export const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function setBody(attributes: Record<string, unknown>, relationships?: Record<string, unknown>, type = 'varsets') {
  return { data: { type, attributes, ...(relationships ? { relationships } : {}) } };
}

export function linkage(type: string, ids: string[]) {
  return { data: ids.map((id) => ({ type, id })) };
}

export function varBody(attributes: Record<string, unknown>, type = 'vars') {
  return { data: { type, attributes } };
}

export const tfVar = (key: string, value = 'v', more: Record<string, unknown> = {}) => ({ key, value, category: 'terraform', ...more });

export function assertInvalid(res: ApiResponse, pointer: string): void {
  assert.equal(res.status, 422, res.text);
  assert.equal(res.body.errors[0].status, '422');
  assert.equal(res.body.errors[0].source?.pointer, pointer, res.text);
}

export function assertStatus(res: ApiResponse, status: number): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.errors[0].status, String(status));
}

export const unique = (prefix: string) => `${prefix}-${randomBase58(6)}`;

/**
 * An owner's organization (`org`) with a second project and workspaces in both, another organization
 * with its own workspace, and tokens of every kind the tests need. Call `setUp` in a `before` hook.
 */
export class VariableSetWorld {
  ownerToken = '';
  orgToken = '';
  memberToken = '';
  strangerToken = '';
  expiredToken = '';
  org = '';
  orgId = '';
  otherOrg = '';
  otherOrgId = '';
  defaultProject = '';
  projectB = '';
  theirProject = '';
  ws1 = '';
  ws2 = '';
  wsB = '';
  theirWs = '';

  constructor(private readonly server: TestServer) {}

  api(method: string, path: string, token: string, body?: unknown): Promise<ApiResponse> {
    return this.server.api(method, `/api/v2${path}`, { token, body });
  }

  async setUp(): Promise<void> {
    const owner = await this.server.createUser();
    this.ownerToken = owner.token;
    this.org = `vs-${randomBase58(6).toLowerCase()}`;
    this.otherOrg = `vs-other-${randomBase58(6).toLowerCase()}`;
    this.orgId = await this.createOrganization(this.org);
    this.otherOrgId = await this.createOrganization(this.otherOrg, this.server.adminToken);
    this.defaultProject = await this.defaultProjectOf(this.orgId);
    this.projectB = await this.insertProject(this.orgId, 'b');
    this.theirProject = await this.defaultProjectOf(this.otherOrgId);
    this.ws1 = await this.insertWorkspace(this.orgId, this.defaultProject, 'ws1');
    this.ws2 = await this.insertWorkspace(this.orgId, this.defaultProject, 'ws2');
    this.wsB = await this.insertWorkspace(this.orgId, this.projectB, 'wsb');
    this.theirWs = await this.insertWorkspace(this.otherOrgId, this.theirProject, 'theirs');
    this.orgToken = await this.insertToken({ organizationId: this.orgId });
    const member = await this.server.createUser();
    await this.server.database.db
      .insertInto('organization_memberships')
      .values({ id: newId('ou'), organization_id: this.orgId, user_id: member.id, status: 'active' })
      .execute();
    this.memberToken = member.token;
    this.strangerToken = (await this.server.createUser()).token;
    this.expiredToken = await this.insertToken({ userId: owner.id }, new Date(Date.now() - 1000));
  }

  /** Creates an organization (by default as the owner) and returns its id. */
  async createOrganization(name: string, token = this.ownerToken): Promise<string> {
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

  // Projects and workspaces are written in parallel with these tests: insert the rows their APIs would.
  async insertProject(organizationId: string, name: string): Promise<string> {
    const id = newId('prj');
    await this.server.database.db.insertInto('projects').values({ id, organization_id: organizationId, name }).execute();
    return id;
  }

  async insertWorkspace(organizationId: string, projectId: string, name: string): Promise<string> {
    const id = newId('ws');
    await this.server.database.db
      .insertInto('workspaces')
      .values({ id, organization_id: organizationId, project_id: projectId, name, terraform_version: '1.11.4' })
      .execute();
    return id;
  }

  async insertToken(owner: { organizationId: string } | { userId: string }, expiredAt: Date | null = null): Promise<string> {
    const { secret, hash } = generateToken();
    const kind = 'organizationId' in owner ? 'organization' : 'user';
    await tokenStore.insert(this.server.database.db, { id: newId('at'), kind, hash, ...owner, expiredAt });
    return secret;
  }

  /** Creates a set (a unique name unless given) and returns its resource object. */
  async createSet(attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>, organization = this.org, token = this.ownerToken) {
    const res = await this.api('POST', `/organizations/${organization}/varsets`, token, setBody({ name: unique('set'), ...attributes }, relationships));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  async addVar(setId: string, attributes: Record<string, unknown>) {
    const res = await this.api('POST', `/varsets/${setId}/relationships/vars`, this.ownerToken, varBody(attributes));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  async setCount(): Promise<number> {
    const row = await this.server.database.db
      .selectFrom('variable_sets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
