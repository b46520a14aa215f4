import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/database.js';
import * as metricsStore from './store.js';

/**
 * The server's Prometheus metrics (README "Metrics"): one registry per app. Request durations and
 * phase outcomes are counted by this replica as they happen; runs, the job queue and agents are read
 * from the database at each scrape, so they are the same on every replica.
 */

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly phasesFinished: Counter<'phase' | 'outcome'>;
  readonly phaseDuration: Histogram<'phase'>;
}

export function createMetrics(deps: { db: Db; now: () => Date; poolStats?: (() => PoolStats) | undefined }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { db, now } = deps;
  new Gauge({
    name: 'terrace_runs',
    help: 'Runs by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { status, count } of await metricsStore.runsByStatus(db)) this.set({ status }, count);
    },
  });
  // Both queue gauges come from one query per scrape: a scrape collects every metric at once, so the
  // second collector finds the first one's query still in flight.
  let waitingJobs: ReturnType<typeof metricsStore.waitingJobs> | undefined;
  const jobs = () => {
    waitingJobs ??= metricsStore.waitingJobs(db, now()).finally(() => {
      waitingJobs = undefined;
    });
    return waitingJobs;
  };
  new Gauge({
    name: 'terrace_queue_jobs_waiting',
    help: 'Background jobs (notifications, cleanup, run triggers) due and not yet taken.',
    registers: [registry],
    async collect() {
      this.set((await jobs()).count);
    },
  });
  new Gauge({
    name: 'terrace_queue_oldest_waiting_seconds',
    help: 'How long the oldest waiting background job has been due.',
    registers: [registry],
    async collect() {
      this.set((await jobs()).oldestSeconds);
    },
  });
  new Gauge({
    name: 'terrace_agents',
    help: 'Agents by status; built_in="true" are the servers\u2019 built-in runner slots (busy: running a phase).',
    labelNames: ['built_in', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { builtIn, status, count } of await metricsStore.agentsByStatus(db)) this.set({ built_in: String(builtIn), status }, count);
    },
  });
  const { poolStats } = deps;
  if (poolStats) {
    new Gauge({
      name: 'terrace_db_pool_connections',
      help: 'This replica\u2019s PostgreSQL connections: open, idle, and queries waiting for one.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const stats = poolStats();
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }
  return {
    registry,
    requestDuration: new Histogram({
      name: 'terrace_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    phasesFinished: new Counter({
      name: 'terrace_run_phases_finished_total',
      help: 'Plans and applies whose agent reported their end to this replica, by outcome.',
      labelNames: ['phase', 'outcome'],
      registers: [registry],
    }),
    phaseDuration: new Histogram({
      name: 'terrace_run_phase_duration_seconds',
      help: 'How long plans and applies ran, from their start to their agent\u2019s report.',
      labelNames: ['phase'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers: [registry],
    }),
  };
}
