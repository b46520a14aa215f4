import assert from 'node:assert/strict';
import type { TestServer } from '../../test/harness.js';
import { craftedTarball, Uploader } from '../configuration-versions/testing.js';

/** Shared by the registry tests: a module published through the API, as a team would publish one. */

/** A small module: an input, an output, a resource and a README. */
export const MODULE_FILES: Record<string, string> = {
  'main.tf': `variable "greeting" {
  type        = string
  description = "What to say"
  default     = "hello"
}

variable "name" {
  type = string
}

resource "terraform_data" "said" {
  input = "\${var.greeting}, \${var.name}"
}

output "sentence" {
  description = "The greeting"
  value       = terraform_data.said.output
}
`,
  'README.md': '# greeter\n\nSays hello.\n',
};

/** Creates the module `name`/`provider` in `organization` if needed and publishes `version` with `files`; returns the upload's status. */
export async function publishModule(
  server: TestServer,
  token: string,
  organization: string,
  address: { name: string; provider: string; version: string },
  files: Record<string, string> = MODULE_FILES,
): Promise<{ uploadStatus: number; uploadText: string }> {
  const base = `/api/v2/organizations/${organization}/registry-modules`;
  const existing = await server.api('GET', `${base}/private/${organization}/${address.name}/${address.provider}`, { token });
  if (existing.status === 404) {
    const created = await server.api('POST', base, {
      token,
      body: { data: { type: 'registry-modules', attributes: { name: address.name, provider: address.provider, 'registry-name': 'private' } } },
    });
    assert.equal(created.status, 201, created.text);
  }
  const version = await server.api('POST', `${base}/private/${organization}/${address.name}/${address.provider}/versions`, {
    token,
    body: { data: { type: 'registry-module-versions', attributes: { version: address.version } } },
  });
  assert.equal(version.status, 201, version.text);
  const uploader = new Uploader(server);
  try {
    const archive = craftedTarball(Object.entries(files).map(([path, body]) => ({ path, body })));
    const uploaded = await uploader.put(version.body.data.links.upload, archive);
    return { uploadStatus: uploaded.status, uploadText: uploaded.text };
  } finally {
    await uploader.close();
  }
}
