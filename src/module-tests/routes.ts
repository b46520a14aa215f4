import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { rawUploads, signedTarballUpload } from '../blobs/raw-upload.js';
import { MAX_STRING_LENGTH, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import type { ModuleAddress } from '../registry-modules/service.js';
import { CreateVariableAttributes, UpdateVariableAttributes } from '../variables/variable-resource.js';
import { serializeTestConfigurationVersion, serializeTestRun, serializeTestVariable } from './serialize.js';
import * as testService from './service.js';
import * as testVariableService from './variable-service.js';

/** Module tests (private-registry/tests.mdx), below the module's `tests` address, and the upload of a test's configuration. */

const TestRunAttributes = Type.Object({
  verbose: Type.Optional(Type.Boolean()),
  'test-directory': Type.Optional(Type.String({ maxLength: MAX_STRING_LENGTH })),
  filters: Type.Optional(Type.Array(Type.String({ maxLength: MAX_STRING_LENGTH }), { maxItems: 1000 })),
  parallelism: Type.Optional(Type.Integer()),
  variables: Type.Optional(
    Type.Array(
      Type.Object({
        key: Type.String({ maxLength: MAX_STRING_LENGTH }),
        value: Type.Union([Type.String({ maxLength: 256 * 1024 }), Type.Number(), Type.Boolean()]),
      }),
      { maxItems: 1000 },
    ),
  ),
});

const ListQuery = querySchema({ ...PageParameters, 'filter[source]': QueryText });
type ListQuery = Static<typeof ListQuery>;

interface ModuleParams {
  organization_name: string;
  namespace: string;
  name: string;
  provider: string;
}
interface TestRunParams extends ModuleParams {
  test_run_id: string;
}
interface VariableParams extends ModuleParams {
  variable_id: string;
}
const MODULE = '/api/v2/organizations/:organization_name/tests/registry-modules/private/:namespace/:name/:provider';
const TEST_RUNS = `${MODULE}/test-runs`;
const TEST_RUN = `${TEST_RUNS}/:test_run_id`;

function addressOf(params: ModuleParams): ModuleAddress {
  return { registryName: 'private', namespace: params.namespace, name: params.name, provider: params.provider };
}

export async function moduleTestRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: ModuleParams }>(`${TEST_RUNS}/configuration-versions`, async (request, reply) => {
    const view = await testService.createConfigurationVersion(request.ctx, request.params.organization_name, addressOf(request.params));
    return reply.code(201).send(document(serializeTestConfigurationVersion(view)));
  });

  app.post<{ Params: ModuleParams }>(TEST_RUNS, async (request, reply) => {
    const { attributes: a, relationships } = parseResourceBody(request.body, 'test-runs', TestRunAttributes);
    // The CLI says it is the CLI (cli-protocol.md: X-Terraform-Integration: cloud): tests.mdx "Test Sources" `terraform`.
    const fromCli = request.headers['x-terraform-integration'] === 'cloud';
    const view = await testService.createTestRun(request.ctx, request.params.organization_name, addressOf(request.params), {
      configurationVersionId: relationshipId(relationships, 'configuration-version', 'configuration-versions'),
      testDirectory: a['test-directory'],
      filters: a.filters,
      verbose: a.verbose,
      parallelism: a.parallelism,
      variables: a.variables,
      source: fromCli ? 'terraform' : 'tfe-api',
    });
    return reply.code(201).send(document(serializeTestRun(view)));
  });

  app.get<{ Params: ModuleParams; Querystring: ListQuery }>(TEST_RUNS, withQuery(ListQuery), async (request, reply) => {
    const { items, parts } = await listPage(request, (page) =>
      testService.list(request.ctx, request.params.organization_name, addressOf(request.params), request.query['filter[source]'], page),
    );
    return reply.send(document(items.map(serializeTestRun), parts));
  });

  app.get<{ Params: TestRunParams }>(TEST_RUN, async (request, reply) => {
    const view = await testService.show(request.ctx, request.params.organization_name, addressOf(request.params), request.params.test_run_id);
    return reply.send(document(serializeTestRun(view)));
  });

  app.post<{ Params: TestRunParams }>(`${TEST_RUN}/cancel`, async (request, reply) => {
    await testService.cancel(request.ctx, request.params.organization_name, addressOf(request.params), request.params.test_run_id);
    return reply.code(202).send();
  });

  app.post<{ Params: TestRunParams }>(`${TEST_RUN}/force-cancel`, async (request, reply) => {
    await testService.forceCancel(request.ctx, request.params.organization_name, addressOf(request.params), request.params.test_run_id);
    return reply.code(202).send();
  });

  app.get<{ Params: ModuleParams }>(`${MODULE}/vars`, async (request, reply) => {
    const variables = await testVariableService.list(request.ctx, request.params.organization_name, addressOf(request.params));
    return reply.send(document(variables.map(serializeTestVariable)));
  });

  app.post<{ Params: ModuleParams }>(`${MODULE}/vars`, async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'vars', CreateVariableAttributes);
    const variable = await testVariableService.create(request.ctx, request.params.organization_name, addressOf(request.params), attributes);
    return reply.code(201).send(document(serializeTestVariable(variable)));
  });

  app.patch<{ Params: VariableParams }>(`${MODULE}/vars/:variable_id`, async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'vars', UpdateVariableAttributes);
    const variable = await testVariableService.update(
      request.ctx,
      request.params.organization_name,
      addressOf(request.params),
      request.params.variable_id,
      attributes,
    );
    return reply.send(document(serializeTestVariable(variable)));
  });

  app.delete<{ Params: VariableParams }>(`${MODULE}/vars/:variable_id`, async (request, reply) => {
    await testVariableService.destroy(request.ctx, request.params.organization_name, addressOf(request.params), request.params.variable_id);
    return reply.code(204).send();
  });

  await app.register(uploadRoute);
}

/** The test configuration version's `upload-url`: the raw .tar.gz, streamed, as a workspace's configuration takes its own. */
const uploadRoute = rawUploads([signedTarballUpload('/_blobs/test-configuration-versions/:id/upload/:expiry/:signature', testService.upload)]);
