import assert from 'node:assert/strict';
import { OrganizationWorld, resourceBody, unique } from '../../test/fixtures.js';

/** Shared by the workspace test files: workspace bodies and the workspace world. */

export const wsBody = resourceBody('workspaces');

/** The shared organization world (test/fixtures.ts), with workspaces created through the API. */
export class WorkspaceWorld extends OrganizationWorld {
  /** Creates a workspace as the owner and returns its resource object. */
  async createWorkspace(attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>, org = this.org, token = this.ownerToken) {
    const res = await this.api('POST', `/organizations/${org}/workspaces`, token, wsBody({ name: unique('ws'), ...attributes }, relationships));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }
}
