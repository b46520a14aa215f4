import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { OrganizationWorld, resourceBody, unique } from '../../test/fixtures.js';

/** Shared by the variable-set test files: request bodies and one organization with projects, workspaces and tokens. */

export const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;

export const setBody = resourceBody('varsets');

export function linkage(type: string, ids: string[]) {
  return { data: ids.map((id) => ({ type, id })) };
}

export function varBody(attributes: Record<string, unknown>, type = 'vars') {
  return { data: { type, attributes } };
}

export const tfVar = (key: string, value = 'v', more: Record<string, unknown> = {}) => ({ key, value, category: 'terraform', ...more });

/**
 * The shared organization world (test/fixtures.ts) with a second project (`projectB`), workspaces in both
 * projects and one in the other organization.
 */
export class VariableSetWorld extends OrganizationWorld {
  projectB = '';
  ws1 = '';
  ws2 = '';
  wsB = '';
  theirWs = '';

  override async setUp(): Promise<void> {
    await super.setUp();
    this.projectB = await this.insertProject();
    this.ws1 = await this.insertWorkspace();
    this.ws2 = await this.insertWorkspace();
    this.wsB = await this.insertWorkspace(this.projectB);
    this.theirWs = await this.insertWorkspace(this.otherDefaultProjectId, this.otherOrgId);
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
