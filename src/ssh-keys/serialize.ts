import { type ResourceObject, resource, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import type * as sshKeyService from './service.js';

/** ssh-keys.mdx "Get an SSH Key": the name only; the key text is write-only. */
export function serializeSshKey(key: sshKeyService.SshKey): ResourceObject {
  return resource('ssh-keys', key.id, { name: key.name }, undefined, { self: apiPath('ssh-keys', key.id) });
}

// Reached only as primary data: no include names SSH keys (a workspace's `ssh-key` is linkage only).
registerResourceType<sshKeyService.SshKey>('ssh-keys', { serialize: serializeSshKey });
