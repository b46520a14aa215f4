import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { resourceBody } from '../../test/fixtures.js';
import type { ApiResponse } from '../../test/harness.js';
import { WorkspaceWorld } from '../workspaces/testing.js';

/** Shared by the state test files: state documents as Terraform writes them, and the CLI's calls. */

export interface StateOptions {
  serial: number;
  lineage: string;
  outputs?: Record<string, { value: unknown; type: unknown; sensitive?: boolean }>;
  resources?: unknown[];
}

/** A raw state (format 4) as `terraform state pull` prints it. */
export function rawState(options: StateOptions): string {
  return `${JSON.stringify(
    {
      version: 4,
      terraform_version: '1.11.4',
      serial: options.serial,
      lineage: options.lineage,
      outputs: options.outputs ?? {},
      resources: options.resources ?? [],
      check_results: null,
    },
    null,
    2,
  )}\n`;
}

/** A `terraform_data` resource with `count` instances (none indexed when count is undefined). */
export function terraformData(name: string, count?: number, module?: string) {
  const instance = (index?: number) => ({
    ...(index === undefined ? {} : { index_key: index }),
    schema_version: 0,
    attributes: { id: randomUUID(), input: null, output: null, triggers_replace: null },
    sensitive_attributes: [],
  });
  return {
    ...(module ? { module } : {}),
    mode: 'managed',
    type: 'terraform_data',
    name,
    provider: 'provider["terraform.io/builtin/terraform"]',
    instances: count === undefined ? [instance()] : Array.from({ length: count }, (_, i) => instance(i)),
  };
}

export const md5 = (text: string | Buffer) => createHash('md5').update(text).digest('hex');
export const base64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

export const svBody = resourceBody('state-versions');

/** A WorkspaceWorld with the calls the CLI makes around state (cli-protocol.md §4.4, §5). */
export class StateWorld extends WorkspaceWorld {
  ownersTeamToken = '';

  override async setUp(): Promise<void> {
    await super.setUp();
    const team = await this.server.database.db
      .selectFrom('teams')
      .select('id')
      .where('organization_id', '=', this.orgId)
      .where('is_owners', '=', true)
      .executeTakeFirstOrThrow();
    this.ownersTeamToken = await this.insertToken({ kind: 'team', teamId: team.id });
  }

  async lock(workspaceId: string, token = this.ownerToken): Promise<void> {
    const res = await this.api('POST', `/workspaces/${workspaceId}/actions/lock`, token, { data: { type: '', attributes: { reason: 'Locked by Terraform' } } });
    assert.equal(res.status, 200, res.text);
  }

  async unlock(workspaceId: string, token = this.ownerToken): Promise<ApiResponse> {
    return this.api('POST', `/workspaces/${workspaceId}/actions/unlock`, token);
  }

  /** A locked workspace of the owner. */
  async lockedWorkspace(attributes: Record<string, unknown> = {}): Promise<string> {
    const ws = await this.createWorkspace(attributes);
    await this.lock(ws.id);
    return ws.id;
  }

  createVersion(workspaceId: string, attributes: Record<string, unknown>, token = this.ownerToken): Promise<ApiResponse> {
    return this.api('POST', `/workspaces/${workspaceId}/state-versions`, token, svBody(attributes));
  }

  /** PUT to a capability URL without a token, as the CLI does. */
  put(url: string, body: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.server.api('PUT', url, { body, headers: { 'content-type': 'application/octet-stream', ...headers } });
  }

  /** The CLI's write: create with json-state-outputs, then PUT the state and the JSON state (cli-protocol.md §5.2). Returns the version. */
  async pushState(workspaceId: string, state: StateOptions, options: { jsonOutputs?: boolean; token?: string; force?: boolean } = {}) {
    const raw = rawState(state);
    const attributes: Record<string, unknown> = { serial: state.serial, lineage: state.lineage, md5: md5(raw), force: options.force ?? false };
    if (options.jsonOutputs !== false) attributes['json-state-outputs'] = base64(JSON.stringify(state.outputs ?? {}));
    const created = await this.createVersion(workspaceId, attributes, options.token);
    assert.equal(created.status, 201, created.text);
    const a = created.body.data.attributes;
    const [stateUpload, jsonUpload] = await Promise.all([
      this.put(a['hosted-state-upload-url'], raw),
      this.put(a['hosted-json-state-upload-url'], '{"format_version":"1.0"}'),
    ]);
    assert.equal(stateUpload.status, 200, stateUpload.text);
    assert.equal(jsonUpload.status, 200, jsonUpload.text);
    return created.body.data;
  }

  /** Polls the version until its background parse is done. */
  async processed(stateVersionId: string, token = this.ownerToken) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const res = await this.api('GET', `/state-versions/${stateVersionId}`, token);
      assert.equal(res.status, 200, res.text);
      if (res.body.data.attributes['resources-processed']) return res.body.data;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`state version ${stateVersionId} was not processed in time`);
  }
}
