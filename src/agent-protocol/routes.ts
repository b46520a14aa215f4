import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AGENT_API_PREFIX, ARTIFACT_PHASES, type ArtifactName, type FinishRequest, TEST_STATUSES, type TestStatus } from '../agent/protocol.js';
import { BadRequestError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import * as testJobService from '../module-tests/job-service.js';
import * as protocolService from './service.js';

/**
 * The agent protocol's HTTP side (src/agent/protocol.ts). Every route needs a token: an agent token
 * for the agent's own routes, the job token for a job's. Bodies are JSON, log chunks and artifacts
 * are raw bytes.
 */

export interface AgentProtocolOptions {
  /** PEM of the CA of a generated server certificate, handed to agents with each job. */
  caCertificate: string | null;
}

/** Longest a request for work waits for one, in ms: agents ask again right away. */
const NEXT_JOB_WAIT_MS = 20_000;
/** A log chunk's largest size; agents send 64 KiB at most. */
const LOG_CHUNK_LIMIT = 1024 * 1024;

type AgentParams = { agent_id: string };
type JobParams = { run_id: string; phase: string };

const AUTH = { config: { auth: 'required' as const } };

function artifactName(name: string): ArtifactName {
  if (!Object.hasOwn(ARTIFACT_PHASES, name)) throw new NotFoundError(`no artifact ${name}`);
  return name as ArtifactName;
}

function object(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('the body must be a JSON object');
  return body as Record<string, unknown>;
}

const AGENT_STATUSES = ['idle', 'busy', 'exited', 'errored'] as const;

/** An object of the named non-negative whole numbers. */
function countsOf<K extends string>(value: unknown, keys: readonly K[]): Record<K, number> {
  const c = object(value);
  const counts = {} as Record<K, number>;
  for (const key of keys) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BadRequestError(`counts.${key} must be a count`);
    counts[key] = v;
  }
  return counts;
}

function finishRequest(body: unknown): FinishRequest {
  const input = object(body);
  const counts = (value: unknown) => countsOf(value, ['additions', 'changes', 'destructions', 'imports'] as const);
  switch (input.outcome) {
    case 'planned':
      if (typeof input.hasChanges !== 'boolean') throw new BadRequestError('hasChanges must be a boolean');
      return { outcome: 'planned', hasChanges: input.hasChanges, counts: counts(input.counts) };
    case 'applied':
      return { outcome: 'applied', counts: counts(input.counts) };
    case 'tested': {
      if (!TEST_STATUSES.includes(input.testStatus as TestStatus)) throw new BadRequestError(`testStatus must be one of ${TEST_STATUSES.join(', ')}`);
      return {
        outcome: 'tested',
        testStatus: input.testStatus as TestStatus,
        counts: countsOf(input.counts, ['passed', 'failed', 'errored', 'skipped'] as const),
      };
    }
    case 'failed':
    case 'interrupted':
      if (typeof input.reason !== 'string' || input.reason.length > 4096) throw new BadRequestError('reason must be a string of at most 4096 characters');
      return { outcome: input.outcome, reason: input.reason };
    case 'canceled':
      return { outcome: 'canceled' };
    default:
      throw new BadRequestError('outcome must be planned, applied, tested, failed, interrupted or canceled');
  }
}

export function agentProtocolRoutes(options: AgentProtocolOptions & { waitForRuns: (ms: number, signal: AbortSignal) => Promise<void> }) {
  return async (app: FastifyInstance): Promise<void> => {
    // A closing server answers waiting long polls at once instead of waiting for them.
    const closing = new AbortController();
    app.addHook('preClose', async () => closing.abort());

    app.post(`${AGENT_API_PREFIX}/register`, AUTH, async (request, reply) => {
      const input = object(request.body);
      const name = input.name;
      if (name !== undefined && (typeof name !== 'string' || name.length > 255)) throw new BadRequestError('name must be a string of at most 255 characters');
      return reply.send(await protocolService.register(request.ctx, { name, ipAddress: request.ip }));
    });

    app.post<{ Params: AgentParams }>(`${AGENT_API_PREFIX}/agents/:agent_id/status`, AUTH, async (request, reply) => {
      const status = object(request.body).status;
      if (!AGENT_STATUSES.includes(status as never)) throw new BadRequestError(`status must be one of ${AGENT_STATUSES.join(', ')}`);
      await protocolService.reportStatus(request.ctx, request.params.agent_id, status as (typeof AGENT_STATUSES)[number]);
      return reply.code(204).send();
    });

    // A long poll: 200 with a job, or 204 after `wait` seconds (at most 20, the default) without one.
    app.post<{ Params: AgentParams; Querystring: { wait?: string } }>(`${AGENT_API_PREFIX}/agents/:agent_id/jobs/next`, AUTH, async (request, reply) => {
      const give = new AbortController();
      request.raw.once('close', () => give.abort());
      closing.signal.addEventListener('abort', () => give.abort(), { once: true, signal: give.signal });
      const { wait } = request.query;
      if (wait !== undefined && !/^\d{1,2}$/.test(wait)) throw new BadRequestError('wait must be a number of seconds');
      const until = Date.now() + (wait === undefined ? NEXT_JOB_WAIT_MS : Math.min(Number(wait) * 1000, NEXT_JOB_WAIT_MS));
      try {
        for (;;) {
          const job = await protocolService.nextJob(request.ctx, request.params.agent_id, options.caCertificate);
          if (job) return reply.send(job);
          if (give.signal.aborted || Date.now() >= until) return reply.code(204).send();
          await options.waitForRuns(until - Date.now(), give.signal);
        }
      } finally {
        // Also drops the listener on `closing`.
        give.abort();
      }
    });

    app.post<{ Params: JobParams }>(`${AGENT_API_PREFIX}/jobs/:run_id/:phase/heartbeat`, AUTH, async (request, reply) => {
      if (request.params.phase === 'test') {
        const test = await testJobService.ownJob(request.ctx, request.params.run_id);
        return reply.send(await testJobService.heartbeat(request.ctx, test));
      }
      const job = await protocolService.ownJob(request.ctx, request.params.run_id, request.params.phase);
      return reply.send(await protocolService.heartbeat(request.ctx, job));
    });

    app.post<{ Params: JobParams }>(`${AGENT_API_PREFIX}/jobs/:run_id/:phase/finish`, AUTH, async (request, reply) => {
      if (request.params.phase === 'test') {
        const test = await testJobService.ownJob(request.ctx, request.params.run_id);
        await testJobService.finish(request.ctx, test, finishRequest(request.body));
        return reply.code(204).send();
      }
      const job = await protocolService.ownJob(request.ctx, request.params.run_id, request.params.phase);
      const result = finishRequest(request.body);
      await protocolService.finish(request.ctx, job, result);
      app.metrics.phasesFinished.inc({ phase: job.phase, outcome: result.outcome });
      const startedAt = job.run.statusTimestamps[job.phase === 'plan' ? 'planning-at' : 'applying-at'];
      if (startedAt) app.metrics.phaseDuration.observe({ phase: job.phase }, (request.ctx.now().getTime() - Date.parse(startedAt)) / 1000);
      return reply.code(204).send();
    });

    app.get<{ Params: JobParams }>(`${AGENT_API_PREFIX}/jobs/:run_id/:phase/configuration`, AUTH, async (request, reply) => {
      const { ctx } = request;
      const content =
        request.params.phase === 'test'
          ? await testJobService.configuration(ctx, await testJobService.ownJob(ctx, request.params.run_id))
          : await protocolService.configuration(ctx, await protocolService.ownJob(ctx, request.params.run_id, request.params.phase));
      return reply.type('application/octet-stream').send(content);
    });

    app.get<{ Params: JobParams & { name: string } }>(`${AGENT_API_PREFIX}/jobs/:run_id/:phase/artifacts/:name`, AUTH, async (request, reply) => {
      const job = await protocolService.ownJob(request.ctx, request.params.run_id, request.params.phase);
      return reply.type('application/octet-stream').send(await protocolService.artifact(request.ctx, job, artifactName(request.params.name)));
    });

    await app.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

      raw.put<{ Params: JobParams; Querystring: { offset?: string } }>(`${AGENT_API_PREFIX}/jobs/:run_id/:phase/logs`, AUTH, async (request, reply) => {
        const { ctx } = request;
        const offset = Number(request.query.offset);
        if (!/^\d{1,15}$/.test(request.query.offset ?? '') || !Number.isSafeInteger(offset)) throw new BadRequestError('offset must be a byte offset');
        if (request.params.phase === 'test') {
          const test = await testJobService.ownJob(ctx, request.params.run_id);
          await testJobService.appendLog(ctx, test, offset, await readLimited(request.body, LOG_CHUNK_LIMIT));
          return reply.code(204).send();
        }
        const job = await protocolService.ownJob(ctx, request.params.run_id, request.params.phase);
        const data = await readLimited(request.body, LOG_CHUNK_LIMIT);
        await protocolService.appendLog(ctx, job, offset, data);
        return reply.code(204).send();
      });

      raw.put<{ Params: JobParams & { name: string } }>(`${AGENT_API_PREFIX}/jobs/:run_id/:phase/artifacts/:name`, AUTH, async (request, reply) => {
        const job = await protocolService.ownJob(request.ctx, request.params.run_id, request.params.phase);
        const body = request.body === undefined ? Readable.from([]) : request.body;
        if (!(body instanceof Readable)) throw new BadRequestError('the artifact must be raw bytes');
        await protocolService.putArtifact(request.ctx, job, artifactName(request.params.name), body);
        return reply.code(204).send();
      });
    });
  };
}

async function readLimited(body: unknown, limit: number): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (!(body instanceof Readable)) throw new BadRequestError('the log chunk must be raw bytes');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    size += (part as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError(`a log chunk may hold at most ${limit} bytes`);
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}
