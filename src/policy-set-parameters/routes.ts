import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MAX_TEXT_LENGTH, parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { querySchema, withQuery } from '../jsonapi/query.js';
import { serializeParameter } from './serialize.js';
import * as parameterService from './service.js';

const ParameterAttributes = Type.Object({
  key: Type.Optional(Type.String()),
  value: Type.Optional(Type.String({ maxLength: MAX_TEXT_LENGTH })),
  category: Type.Optional(Type.String()),
  sensitive: Type.Optional(Type.Boolean()),
});

const ListQuery = querySchema({ ...PageParameters });

function parameterInput(body: unknown): parameterService.ParameterInput {
  const { attributes: a } = parseResourceBody(body, 'vars', ParameterAttributes);
  return { key: a.key, value: a.value, category: a.category, sensitive: a.sensitive };
}

interface SetParams {
  policy_set_id: string;
}
interface ParameterParams extends SetParams {
  parameter_id: string;
}

/** policy-set-params.mdx. */
export async function policySetParameterRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: SetParams; Querystring: Static<typeof ListQuery> }>(
    '/api/v2/policy-sets/:policy_set_id/parameters',
    withQuery(ListQuery),
    async (request, reply) => {
      const { items: parameters, parts } = await listPage(request, (page) => parameterService.list(request.ctx, request.params.policy_set_id, page));
      return reply.send(document(parameters.map(serializeParameter), parts));
    },
  );

  app.post<{ Params: SetParams }>('/api/v2/policy-sets/:policy_set_id/parameters', async (request, reply) => {
    const parameter = await parameterService.create(request.ctx, request.params.policy_set_id, parameterInput(request.body));
    return reply.code(201).send(document(serializeParameter(parameter)));
  });

  app.patch<{ Params: ParameterParams }>('/api/v2/policy-sets/:policy_set_id/parameters/:parameter_id', async (request, reply) => {
    const parameter = await parameterService.update(request.ctx, request.params.policy_set_id, request.params.parameter_id, parameterInput(request.body));
    return reply.send(document(serializeParameter(parameter)));
  });

  app.delete<{ Params: ParameterParams }>('/api/v2/policy-sets/:policy_set_id/parameters/:parameter_id', async (request, reply) => {
    await parameterService.destroy(request.ctx, request.params.policy_set_id, request.params.parameter_id);
    return reply.code(204).send();
  });
}
