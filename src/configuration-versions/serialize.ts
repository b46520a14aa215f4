import { type ResourceObject, resource, timestamp } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as configurationVersionService from './service.js';

/** Only the timestamps reached: a pending version has `{}` (configuration-versions.mdx sample). */
function statusTimestamps(version: configurationVersionService.ConfigurationVersion): Record<string, string | null> {
  const reached: [string, Date | null][] = [
    ['uploaded-at', version.uploadedAt],
    ['errored-at', version.erroredAt],
    ['archived-at', version.archivedAt],
  ];
  return Object.fromEntries(reached.filter(([, at]) => at !== null).map(([name, at]) => [name, timestamp(at)]));
}

/** The configuration version resource; the CLI reads `status` and `upload-url` (cli-protocol.md §10). */
export function serializeConfigurationVersion(view: configurationVersionService.ConfigurationVersionView): ResourceObject {
  const version = view.version;
  const self = `/api/v2/configuration-versions/${version.id}`;
  return resource(
    'configuration-versions',
    version.id,
    {
      'auto-queue-runs': version.autoQueueRuns,
      error: version.error,
      'error-message': version.errorMessage,
      source: version.source,
      speculative: version.speculative,
      provisional: version.provisional,
      status: version.status,
      'status-timestamps': statusTimestamps(version),
      'changed-files': [],
      'upload-url': view.uploadUrl,
    },
    { 'ingress-attributes': { data: null, links: { related: `${self}/ingress-attributes` } } },
    { self, download: `${self}/download` },
  );
}

registerResourceType<configurationVersionService.ConfigurationVersionView>('configuration-versions', {
  serialize: serializeConfigurationVersion,
  load: configurationVersionService.readableViews,
});
