import assert from 'node:assert/strict';
import type { ApiResponse, TestServer } from '../../test/harness.js';
import { craftedTarball, Uploader } from '../configuration-versions/testing.js';

/** Shared by the module test suites: a test configuration uploaded and a test run created through the API. */

/** The `tests` address of a private module with provider `null`. */
export function testsPath(organization: string, module: string): string {
  return `/api/v2/organizations/${organization}/tests/registry-modules/private/${organization}/${module}/null`;
}

/** A test configuration version of the module with `files` uploaded: its id and the upload's answer. */
export async function uploadTestConfiguration(
  server: TestServer,
  token: string,
  tests: string,
  files: Record<string, string>,
): Promise<{ id: string; status: number; text: string }> {
  const created = await server.api('POST', `${tests}/test-runs/configuration-versions`, { token });
  assert.equal(created.status, 201, created.text);
  const uploader = new Uploader(server);
  try {
    const archive = craftedTarball(Object.entries(files).map(([path, body]) => ({ path, body })));
    const uploaded = await uploader.put(created.body.data.attributes['upload-url'], archive);
    return { id: created.body.data.id, status: uploaded.status, text: uploaded.text };
  } finally {
    await uploader.close();
  }
}

export function createTestRun(
  server: TestServer,
  token: string,
  tests: string,
  configurationVersionId: string,
  attributes: Record<string, unknown> = {},
): Promise<ApiResponse> {
  return server.api('POST', `${tests}/test-runs`, {
    token,
    body: {
      data: {
        type: 'test-runs',
        attributes,
        relationships: { 'configuration-version': { data: { type: 'configuration-versions', id: configurationVersionId } } },
      },
    },
  });
}
