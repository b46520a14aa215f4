import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { literals, MAX_TEXT_LENGTH, parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { includedDocument, includedPage } from '../jsonapi/include-registry.js';
import { IncludeQuery, PagedIncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';
import * as configurationService from './service.js';
import { memberRoutes } from '../jsonapi/resource-routes.js';

const Attributes = Type.Object({
  'destination-type': Type.Optional(literals(configurationService.DESTINATION_TYPES)),
  name: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
  token: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  triggers: Type.Optional(Type.Array(Type.String(), { maxItems: 50 })),
  url: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  'email-addresses': Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
  // Team configurations; the page spells it with underscores.
  'email-all-members': Type.Optional(Type.Boolean()),
  email_all_members: Type.Optional(Type.Boolean()),
});

/** The page's table says `notification-configuration`, its samples and go-tfe send `notification-configurations`: both are taken. */
function typeOf(body: unknown): string {
  const type = (body as { data?: { type?: unknown } } | undefined)?.data?.type;
  return type === 'notification-configuration' ? type : 'notification-configurations';
}

function configurationInput(body: unknown): configurationService.ConfigurationInput {
  const { attributes: a, relationships } = parseResourceBody(body, typeOf(body), Attributes);
  return {
    destinationType: a['destination-type'],
    name: a.name,
    enabled: a.enabled,
    token: a.token,
    triggers: a.triggers,
    url: a.url,
    emailAddresses: a['email-addresses'],
    emailAllMembers: a['email-all-members'] ?? a.email_all_members,
    emailUserIds: relationships.users === undefined ? undefined : parseLinkageIds(relationships.users, 'users', '/data/relationships/users', 'invalid'),
  };
}

interface WorkspaceParams {
  workspace_id: string;
}
interface TeamParams {
  team_id: string;
}
interface ConfigurationParams {
  notification_configuration_id: string;
}

const TYPE = 'notification-configurations';

export async function notificationConfigurationRoutes(app: FastifyInstance): Promise<void> {
  // Listed and created under their workspace (workspaces/:id) or team (teams/:id).
  for (const [kind, prefix] of [
    ['workspace', '/api/v2/workspaces/:workspace_id'],
    ['team', '/api/v2/teams/:team_id'],
  ] as const) {
    const subscribableOf = (params: WorkspaceParams | TeamParams): configurationService.Subscribable =>
      kind === 'workspace' ? { kind, id: (params as WorkspaceParams).workspace_id } : { kind, id: (params as TeamParams).team_id };

    app.get<{ Params: WorkspaceParams | TeamParams; Querystring: PagedIncludeQuery }>(
      `${prefix}/notification-configurations`,
      withQuery(PagedIncludeQuery),
      async (request, reply) => {
        return reply.send(await includedPage(request, TYPE, [], (page) => configurationService.list(request.ctx, subscribableOf(request.params), page)));
      },
    );

    app.post<{ Params: WorkspaceParams | TeamParams; Querystring: IncludeQuery }>(
      `${prefix}/notification-configurations`,
      withQuery(IncludeQuery),
      async (request, reply) => {
        const configuration = await configurationService.create(request.ctx, subscribableOf(request.params), configurationInput(request.body));
        return reply.code(201).send(await includedDocument(request, TYPE, configuration, []));
      },
    );
  }

  memberRoutes(app, '/api/v2/notification-configurations/:notification_configuration_id', TYPE, [], {
    service: configurationService,
    input: configurationInput,
  });

  app.post<{ Params: ConfigurationParams; Querystring: IncludeQuery }>(
    '/api/v2/notification-configurations/:notification_configuration_id/actions/verify',
    withQuery(IncludeQuery),
    async (request, reply) => {
      return reply.send(
        await includedDocument(request, TYPE, await configurationService.verify(request.ctx, request.params.notification_configuration_id), []),
      );
    },
  );
}
