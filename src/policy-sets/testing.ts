import assert from 'node:assert/strict';
import type { TestServer } from '../../test/harness.js';
import { craftedTarball, Uploader } from '../configuration-versions/testing.js';

/** Shared by the policy tests: an OPA policy set uploaded through the API, as a team would publish one. */

/** A policy that denies every `terraform_data` whose input is "forbidden", and its policies.hcl entry. */
export const DENY_FORBIDDEN_REGO = `package terraform.policies.forbidden

import rego.v1

deny contains msg if {
  some rc in input.plan.resource_changes
  rc.type == "terraform_data"
  rc.change.after.input == "forbidden"
  msg := sprintf("%s has a forbidden input", [rc.address])
}
`;

/** A policy that denies the input a parameter of its set names (policy-set-params.mdx; `data.parameters`). */
export const DENY_PARAMETER_REGO = `package terraform.policies.parameter

import rego.v1

deny contains msg if {
  some rc in input.plan.resource_changes
  rc.change.after.input == data.parameters.forbidden_input
  msg := sprintf("%s uses the input the set's parameter forbids", [rc.address])
}
`;

/** A policy that does not end in time: a comprehension of a hundred million elements. */
export const RUNAWAY_REGO = `package terraform.policies.runaway

import rego.v1

deny contains msg if {
  n := count([x | some i in numbers.range(1, 10000); some j in numbers.range(1, 10000); x := i * j])
  msg := sprintf("counted %d", [n])
}
`;

export const policiesHcl = (level: 'advisory' | 'mandatory', name = 'no-forbidden', query = 'data.terraform.policies.forbidden.deny') => `policy "${name}" {
  query             = "${query}"
  enforcement_level = "${level}"
  description       = "terraform_data inputs must not be forbidden"
}
`;

/** Uploads `files` as a new version of the set; returns the upload's status and text. */
export async function uploadPolicySetVersion(
  server: TestServer,
  token: string,
  setId: string,
  files: Record<string, string>,
): Promise<{ status: number; text: string; versionId: string }> {
  const version = await server.api('POST', `/api/v2/policy-sets/${setId}/versions`, { token });
  assert.equal(version.status, 201, version.text);
  const uploader = new Uploader(server);
  try {
    const uploaded = await uploader.put(version.body.data.links.upload, craftedTarball(Object.entries(files).map(([path, body]) => ({ path, body }))));
    return { status: uploaded.status, text: uploaded.text, versionId: version.body.data.id };
  } finally {
    await uploader.close();
  }
}

/** Creates an OPA set with `attributes` and `relationships` and uploads `files` as its first version; returns its id. */
export async function publishPolicySet(
  server: TestServer,
  token: string,
  organization: string,
  set: { name: string; attributes?: Record<string, unknown>; relationships?: Record<string, unknown>; files: Record<string, string> },
): Promise<string> {
  const created = await server.api('POST', `/api/v2/organizations/${organization}/policy-sets`, {
    token,
    body: { data: { type: 'policy-sets', attributes: { name: set.name, kind: 'opa', ...set.attributes }, relationships: set.relationships ?? {} } },
  });
  assert.equal(created.status, 201, created.text);
  const uploaded = await uploadPolicySetVersion(server, token, created.body.data.id, set.files);
  assert.equal(uploaded.status, 200, uploaded.text);
  return created.body.data.id;
}

/**
 * Creates a set that is not versioned with one individual policy (policies.mdx) whose Rego is `rego`;
 * returns the set's id.
 */
export async function publishIndividualPolicy(
  server: TestServer,
  token: string,
  organization: string,
  policy: {
    name: string;
    query: string;
    level: 'advisory' | 'mandatory';
    rego: string;
    setAttributes?: Record<string, unknown>;
    relationships?: Record<string, unknown>;
  },
): Promise<string> {
  const set = await server.api('POST', `/api/v2/organizations/${organization}/policy-sets`, {
    token,
    body: {
      data: {
        type: 'policy-sets',
        attributes: { name: `${policy.name}-set`, kind: 'opa', ...policy.setAttributes },
        relationships: policy.relationships ?? {},
      },
    },
  });
  assert.equal(set.status, 201, set.text);
  const created = await server.api('POST', `/api/v2/organizations/${organization}/policies`, {
    token,
    body: {
      data: {
        type: 'policies',
        attributes: { name: policy.name, kind: 'opa', query: policy.query, 'enforcement-level': policy.level },
        relationships: { 'policy-sets': { data: [{ type: 'policy-sets', id: set.body.data.id }] } },
      },
    },
  });
  assert.equal(created.status, 201, created.text);
  const uploaded = await server.api('PUT', `/api/v2/policies/${created.body.data.id}/upload`, {
    token,
    body: policy.rego,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(uploaded.status, 200, uploaded.text);
  return set.body.data.id;
}
