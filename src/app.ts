import './resource-types.js';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { agentPoolRoutes } from './agent-pools/routes.js';
import { agentProtocolRoutes } from './agent-protocol/routes.js';
import { pollForRuns, type WaitForRuns } from './agent-protocol/wakeups.js';
import { agentTokenRoutes } from './agent-tokens/routes.js';
import { agentRoutes } from './agents/routes.js';
import { AGENT_API_PREFIX } from './agent/protocol.js';
import { subjectKey } from './auth/subject.js';
import { registerAuthentication } from './auth/authenticate.js';
import { clearNotifiedCaches } from './db/notified-cache.js';
import { healthRoutes } from './health/routes.js';
import { invitationRoutes } from './invitations/routes.js';
import { metaRoutes } from './meta/routes.js';
import type { BlobStore } from './blobs/blob-store.js';
import { withoutSignature } from './blobs/signed-url.js';
import type { Config } from './config.js';
import { configurationVersionRoutes } from './configuration-versions/routes.js';
import type { Ctx } from './context.js';
import type { Db } from './db/database.js';
import { API_VERSION_HEADERS } from './discovery/document.js';
import { discoveryRoutes } from './discovery/routes.js';
import { JSONAPI_MEDIA_TYPE } from './jsonapi/document.js';
import { frameworkErrors, registerErrorHandling, registerJsonParsers } from './jsonapi/errors.js';
import { collectRoutes, type RouteTable } from './jsonapi/route-table.js';
import { compileValidatorsOnFirstUse } from './jsonapi/validators.js';
import { oauthRoutes } from './oauth/routes.js';
import { organizationTagRoutes } from './organization-tags/routes.js';
import { organizationMembershipRoutes } from './organization-memberships/routes.js';
import { organizationTokenRoutes } from './organization-tokens/routes.js';
import { organizationRoutes } from './organizations/routes.js';
import { projectRoutes } from './projects/routes.js';
import { stateVersionOutputRoutes } from './state-version-outputs/routes.js';
import { runOutputRoutes } from './runs/output-routes.js';
import { runRoutes } from './runs/routes.js';
import { stateVersionRoutes } from './state-versions/routes.js';
import { teamProjectRoutes } from './team-project-access/routes.js';
import { teamTokenRoutes } from './team-tokens/routes.js';
import { teamWorkspaceRoutes } from './team-workspace-access/routes.js';
import { teamMemberRoutes } from './teams/member-routes.js';
import { teamRoutes } from './teams/routes.js';
import { userRoutes } from './users/routes.js';
import { variableSetRoutes } from './variable-sets/routes.js';
import { reservedTagKeyRoutes } from './reserved-tag-keys/routes.js';
import { notificationConfigurationRoutes } from './notification-configurations/routes.js';
import { policyRoutes } from './policies/routes.js';
import { policyEvaluationRoutes } from './policy-evaluations/routes.js';
import { policySetParameterRoutes } from './policy-set-parameters/routes.js';
import { policySetRoutes } from './policy-sets/routes.js';
import { runTaskRoutes } from './run-tasks/routes.js';
import { commentRoutes } from './comments/routes.js';
import { registryModuleRoutes } from './registry-modules/routes.js';
import { moduleTestRoutes } from './module-tests/routes.js';
import { registryProviderRoutes } from './registry-providers/routes.js';
import { runTriggerRoutes } from './run-triggers/routes.js';
import { taskStageRoutes } from './task-stages/routes.js';
import { sshKeyRoutes } from './ssh-keys/routes.js';
import { dataRetentionPolicyRoutes } from './data-retention-policies/routes.js';
import { createMetrics, type Metrics, type PoolStats } from './metrics/metrics.js';
import { metricsRoutes } from './metrics/routes.js';
import { variableRoutes } from './variables/routes.js';
import { webAssetRoutes } from './web/assets.js';
import { webRoutes } from './web/routes.js';
import { workspaceRoutes } from './workspaces/routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: Ctx;
  }
  interface FastifyInstance {
    /** Every route of the app (jsonapi/route-table.ts). */
    routeTable: RouteTable;
    /** Prometheus metrics (metrics/metrics.ts). */
    metrics: Metrics;
  }
}

export interface AppDeps {
  db: Db;
  config: Config;
  blobs: BlobStore;
  now?: () => Date;
  /** For agents: the CA of a generated server certificate (PEM), and how a long poll waits for runs. */
  agents?: { caCertificate: string | null; waitForRuns: WaitForRuns };
  /** This replica's PostgreSQL pool, for the metrics; none with PGlite. */
  poolStats?: () => PoolStats;
  /** Fastify server options: logger, https. */
  server?: FastifyServerOptions & { https?: { key: string; cert: string } };
}

/** Routes the CLI polls while a run goes on (run, plan and apply status, the log), logged at debug level. */
const POLLED_ROUTES = new Set([
  '/api/v2/runs/:run_id',
  '/api/v2/plans/:id',
  '/api/v2/applies/:id',
  '/api/v2/runs/:run_id/plan',
  '/api/v2/runs/:run_id/apply',
  '/_logs/:kind/:id/:expiry/:signature',
]);

/** Largest accepted request body for JSON endpoints; uploads have their own limits. */
export const BODY_LIMIT = 1024 * 1024;

/** Builds the Fastify app with every route registered explicitly. Tests call this with their own config and database. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  // One log line per request (onResponse below) instead of Fastify's two.
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors,
    schemaController: { compilersFactory: { buildValidator: compileValidatorsOnFirstUse } },
    ...(deps.server ?? {}),
  } as FastifyServerOptions);
  const baseUrl = `https://${deps.config.hostname}`;

  // Before any route: every route registered from here on is in the table.
  const routes = collectRoutes(app);
  app.decorate('routeTable', routes);
  app.decorate('metrics', createMetrics({ db: deps.db, now, poolStats: deps.poolStats }));
  registerJsonParsers(app);
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  registerErrorHandling(app, routes);
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/v2/')) {
      reply.type(JSONAPI_MEDIA_TYPE);
      // On every API response (401 and 429 included), not only ping.
      reply.headers(API_VERSION_HEADERS);
    }
  });
  registerAuthentication(app, { db: deps.db, config: deps.config, now });
  // A request that may have written (the API, a web form, an upload): the next request here sees the
  // change. The agent protocol's many writes (log chunks, heartbeats, long polls) reach the caches as
  // every other replica's changes do, through the database's notification (src/db/notified-cache.ts):
  // clearing on each of them would leave the caches empty while runs go.
  app.addHook('onSend', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && !request.url.startsWith(AGENT_API_PREFIX)) clearNotifiedCaches();
  });
  app.decorateRequest('ctx', null as never);
  app.addHook('onRequest', async (request) => {
    request.ctx = { db: deps.db, subject: request.subject, log: request.log, config: deps.config, blobs: deps.blobs, baseUrl, now, memo: new Map() };
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // JSON:API forbids media type parameters on its type; Fastify appends a charset to JSON types.
    if (String(reply.getHeader('content-type')).startsWith(`${JSONAPI_MEDIA_TYPE};`)) reply.header('content-type', JSONAPI_MEDIA_TYPE);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    // By route template: a path's ids would make a series per resource.
    const route = request.routeOptions.url ?? 'unmatched';
    app.metrics.requestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    // The path only, without capability signatures: query strings, headers and signed paths carry secrets.
    const line = {
      method: request.method,
      path: withoutSignature(request.url.split('?')[0] as string),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      subject: request.subject ? subjectKey(request.subject) : undefined,
    };
    // What clients poll many times a second while a run goes on says little each time.
    const polled = reply.statusCode < 400 && (POLLED_ROUTES.has(route) || route.startsWith(AGENT_API_PREFIX));
    if (polled) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
  // close() ends the connections idle at that moment only: one whose response was still going out
  // (a download's last piece, a long poll) stayed open afterwards until its keep-alive timeout,
  // 72 s, and close() waited for it. Once closing, each response that finishes ends its connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onResponse', async (request) => {
    if (closing) request.raw.socket?.end();
  });

  await app.register(discoveryRoutes);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(metaRoutes);
  await app.register(projectRoutes);
  await app.register(organizationTagRoutes);
  await app.register(workspaceRoutes);
  await app.register(variableSetRoutes);
  await app.register(oauthRoutes);
  await app.register(invitationRoutes);
  await app.register(organizationRoutes);
  await app.register(organizationTokenRoutes);
  await app.register(organizationMembershipRoutes);
  await app.register(teamRoutes);
  await app.register(teamMemberRoutes);
  await app.register(teamTokenRoutes);
  await app.register(teamWorkspaceRoutes);
  await app.register(teamProjectRoutes);
  await app.register(userRoutes);
  await app.register(variableRoutes);
  await app.register(configurationVersionRoutes);
  await app.register(stateVersionRoutes);
  await app.register(stateVersionOutputRoutes);
  await app.register(runRoutes);
  await app.register(runTaskRoutes);
  await app.register(policySetRoutes);
  await app.register(policySetParameterRoutes);
  await app.register(policyRoutes);
  await app.register(policyEvaluationRoutes);
  await app.register(taskStageRoutes);
  await app.register(runTriggerRoutes);
  await app.register(commentRoutes);
  await app.register(registryModuleRoutes);
  await app.register(moduleTestRoutes);
  await app.register(registryProviderRoutes);
  await app.register(notificationConfigurationRoutes);
  await app.register(reservedTagKeyRoutes);
  await app.register(sshKeyRoutes);
  await app.register(dataRetentionPolicyRoutes);
  await app.register(runOutputRoutes);
  await app.register(agentPoolRoutes);
  await app.register(agentTokenRoutes);
  await app.register(agentRoutes);
  await app.register(agentProtocolRoutes(deps.agents ?? { caCertificate: null, waitForRuns: pollForRuns }));
  await app.register(webAssetRoutes);
  await app.register(webRoutes);
  return app;
}
