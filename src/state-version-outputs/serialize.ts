import { type ResourceObject, resource, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import { outputTypeName } from '../state-versions/state-file.js';
import type * as outputService from './service.js';

/** state-version-outputs.mdx. `detailed-type` is what the CLI converts values with (cli-protocol.md §5.5). */
export function serializeOutput(view: outputService.OutputView): ResourceObject {
  return resource(
    'state-version-outputs',
    view.id,
    {
      name: view.name,
      sensitive: view.sensitive,
      type: outputTypeName(view.detailedType, view.value),
      value: view.value,
      'detailed-type': view.detailedType,
    },
    undefined,
    { self: apiPath('state-version-outputs', view.id) },
  );
}

registerResourceType<outputService.OutputView>('state-version-outputs', { serialize: serializeOutput });
