import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseResourceBody } from '../jsonapi/body.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';
import * as commentService from './service.js';

const CommentAttributes = Type.Object({ body: Type.Optional(Type.String({ maxLength: MAX_TEXT_LENGTH })) });

interface RunParams {
  run_id: string;
}

export async function commentRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: RunParams; Querystring: IncludeQuery }>('/api/v2/runs/:run_id/comments', withQuery(IncludeQuery), async (request, reply) => {
    return reply.send(await includedDocument(request, 'comments', await commentService.list(request.ctx, request.params.run_id), []));
  });

  app.post<{ Params: RunParams; Querystring: IncludeQuery }>('/api/v2/runs/:run_id/comments', withQuery(IncludeQuery), async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'comments', CommentAttributes);
    if (!attributes.body?.trim()) throw new InvalidError('body is required', { pointer: '/data/attributes/body' });
    const comment = await commentService.create(request.ctx, request.params.run_id, attributes.body);
    return reply.code(201).send(await includedDocument(request, 'comments', comment, []));
  });

  app.get<{ Params: { comment_id: string }; Querystring: IncludeQuery }>('/api/v2/comments/:comment_id', withQuery(IncludeQuery), async (request, reply) => {
    return reply.send(await includedDocument(request, 'comments', await commentService.show(request.ctx, request.params.comment_id), []));
  });
}
