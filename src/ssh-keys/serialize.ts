import { type ResourceObject, resource } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import { visibleEach } from '../jsonapi/include.js';
import * as sshKeyService from './service.js';

/** ssh-keys.mdx "Get an SSH Key": the name only; the key text is write-only. */
export function serializeSshKey(key: sshKeyService.SshKey): ResourceObject {
  return resource('ssh-keys', key.id, { name: key.name }, undefined, { self: `/api/v2/ssh-keys/${encodeURIComponent(key.id)}` });
}

registerResourceType<sshKeyService.SshKey>('ssh-keys', {
  serialize: serializeSshKey,
  load: (ctx, ids) => visibleEach(ids, (id) => sshKeyService.show(ctx, id)),
});
