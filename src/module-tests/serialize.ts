import { type ResourceObject, resource, timestamp, toOne, apiPath } from '../jsonapi/document.js';
import { variableAttributes } from '../variables/variable-resource.js';
import type { VariableAttributes } from '../variables/variable-rows.js';
import type { TestConfigurationView, TestRunView } from './service.js';

/** Module tests as tests.mdx shows them: `test-runs`, their `configuration-versions` and `vars`. */

export function serializeTestRun({ run, module, logReadUrl }: TestRunView): ResourceObject {
  const counts = run.counts;
  return resource(
    'test-runs',
    run.id,
    {
      status: run.status,
      'status-timestamps': run.statusTimestamps,
      'log-read-url': logReadUrl,
      'created-at': timestamp(run.createdAt),
      'updated-at': timestamp(run.updatedAt),
      'test-configurable-type': 'RegistryModule',
      'test-configurable-id': module.id,
      variables: run.variables,
      filters: run.filters,
      'test-directory': run.testDirectory,
      verbose: run.verbose,
      parallelism: run.parallelism,
      'test-status': run.testStatus,
      'tests-passed': counts?.passed ?? null,
      'tests-failed': counts?.failed ?? null,
      'tests-errored': counts?.errored ?? null,
      'tests-skipped': counts?.skipped ?? null,
      source: run.source,
      message: run.message,
    },
    {
      // A test's configuration version is the module's, not a workspace's: it has no `/configuration-versions/:id` of its own.
      'configuration-version': toOne('configuration-versions', run.configurationVersionId),
      'created-by': {
        ...toOne('users', run.createdBy),
        ...(run.createdBy ? { links: { related: `/api/v2/users/${run.createdBy}` } } : {}),
      },
      'registry-module': toOne('registry-modules', module.id),
    },
  );
}

/** A test's configuration version, in the `configuration-versions` shape (tests.mdx sample). */
export function serializeTestConfigurationVersion({ version, uploadUrl }: TestConfigurationView): ResourceObject {
  return resource(
    'configuration-versions',
    version.id,
    {
      'auto-queue-runs': false,
      error: version.error,
      'error-message': version.errorMessage,
      source: 'tfe-api',
      speculative: false,
      status: version.status,
      'status-timestamps': version.uploadedAt ? { 'uploaded-at': timestamp(version.uploadedAt) } : {},
      'changed-files': [],
      provisional: false,
      'upload-url': uploadUrl,
    },
    {},
  );
}

export function serializeTestVariable(variable: VariableAttributes): ResourceObject {
  return resource('vars', variable.id, variableAttributes(variable), {}, { self: apiPath('vars', variable.id) });
}
