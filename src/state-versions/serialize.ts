import { signedUrl } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { type Relationship, type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import * as stateVersionService from './service.js';
import type { StateVersionView } from './service.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import { DOWNLOAD_URL_TTL_SECONDS, downloadPath, UPLOAD_URL_TTL_SECONDS, uploadPath } from './upload-service.js';

/**
 * state-versions.mdx "Attributes". Upload URLs exist while the content is awaited; download URLs once
 * it is there. All are absolute capability URLs (cli-protocol.md §5.2, §11 item 6).
 */
export function serializeStateVersion(ctx: Pick<Ctx, 'config' | 'baseUrl' | 'now'>, view: StateVersionView): ResourceObject {
  const v = view.version;
  const isPending = v.status === 'pending';
  const isFinalized = v.status === 'finalized';
  const relationships: Record<string, Relationship> = {
    run: toOne('runs', null),
    'created-by': toOne('users', v.createdById),
    workspace: toOne('workspaces', v.workspaceId),
    outputs: toMany('state-version-outputs', view.outputIds),
  };
  if (v.rollbackStateVersionId) relationships['rollback-state-version'] = toOne('state-versions', v.rollbackStateVersionId);
  return resource(
    'state-versions',
    v.id,
    {
      'created-at': timestamp(v.createdAt),
      size: v.size,
      'hosted-state-download-url': isFinalized ? signedUrl(ctx, downloadPath(v.id, 'state'), DOWNLOAD_URL_TTL_SECONDS) : null,
      'hosted-json-state-download-url': isFinalized && v.jsonSize !== null ? signedUrl(ctx, downloadPath(v.id, 'json-state'), DOWNLOAD_URL_TTL_SECONDS) : null,
      'hosted-state-upload-url': isPending ? signedUrl(ctx, uploadPath(v.id, 'state'), UPLOAD_URL_TTL_SECONDS) : null,
      'hosted-json-state-upload-url': isPending && v.jsonSize === null ? signedUrl(ctx, uploadPath(v.id, 'json-state'), UPLOAD_URL_TTL_SECONDS) : null,
      status: v.status,
      // Snapshots during a run are not made: every version is a complete one (cli-protocol.md §5.4).
      intermediate: false,
      modules: v.modules,
      providers: v.providers,
      resources: v.resources,
      'resources-processed': v.resourcesProcessed,
      serial: v.serial,
      'state-version': v.stateVersion,
      'terraform-version': v.terraformVersion,
      'vcs-commit-sha': null,
      'vcs-commit-url': null,
    },
    relationships,
    { self: apiPath('state-versions', v.id) },
  );
}

registerResourceType<StateVersionView>('state-versions', {
  serialize: (view, ctx) => serializeStateVersion(ctx, view),
  relations: {
    // Sensitive values redacted; every version's outputs in one query.
    outputs: {
      load: async (ctx, views) => {
        const outputs = new Map((await stateVersionService.includedOutputs(ctx, views)).map((o) => [o.id, o]));
        return new Map(
          views.map((v) => [v.version.id, v.outputIds.flatMap((id) => outputs.get(id) ?? []).map((view) => ({ type: 'state-version-outputs', view }))]),
        );
      },
    },
  },
});
