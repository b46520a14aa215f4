import { setTimeout as sleep } from 'node:timers/promises';
import type { Isolation } from '../runner/sandbox.js';
import { binaryVersion, resolveBinary } from '../runner/terraform-version.js';
import { AgentClient, ProtocolError } from './client.js';
import { runJob, type StopReason } from './job.js';
import type { JobEnvironment } from './job-steps.js';
import type { AnyJob, HeartbeatResponse, RegisterResponse } from './protocol.js';

/**
 * An agent: registers with the server, asks for work (a long poll), runs one job at a time and
 * heartbeats it, and says when it exits. It holds no server secret: its agent token, and per job the
 * job token. `terrace agent` runs one on any machine; `terrace serve` runs its built-in runner as
 * local agents (src/runner/local-agents.ts).
 */

export interface AgentWorkerOptions {
  /** The server's base URL, e.g. https://terrace.example.com. */
  url: string;
  token: string;
  name: string;
  /** Where run directories are created. */
  workDir: string;
  /** PEM of a CA to trust besides the system's (a self-signed server). */
  caCertificate?: string | undefined;
  terraformBinary: string;
  /** How runs are kept away from the agent (runner/sandbox.ts). */
  isolation: Isolation;
  /** The uid runs execute under, in the isolation modes that use one. */
  runUid?: number | undefined;
  log: AgentLog;
}

export interface AgentLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Between failed attempts to reach the server when idle. */
const RECONNECT_MS = 2_000;

export class AgentWorker {
  private readonly client: AgentClient;
  /** Aborted when the agent takes no more work (drain or stop). */
  private readonly draining = new AbortController();
  /** Aborted when the job in progress must stop too. */
  private readonly stopping = new AbortController();
  private current: { stop: (why: StopReason) => void } | undefined;
  private agentId: string | undefined;

  constructor(private readonly options: AgentWorkerOptions) {
    this.client = new AgentClient(options.url, options.caCertificate, (message) => options.log.warn(message));
  }

  /** Works until drain() or stop(); resolves once the job in progress has been reported. */
  async run(): Promise<void> {
    const binary = await resolveBinary(this.options.terraformBinary);
    const env: JobEnvironment = {
      client: this.client,
      terraform: { binary, version: await binaryVersion(binary) },
      workDir: this.options.workDir,
      isolation: this.options.isolation,
      runUid: this.options.runUid,
    };
    const { signal } = this.draining;
    try {
      while (!signal.aborted) {
        try {
          const registration = await this.register();
          this.agentId = registration.agentId;
          this.options.log.info(`agent ${registration.agentId} (${this.options.name}) is serving ${this.options.url} with Terraform ${env.terraform.version}`);
          await this.serve(env, registration);
        } catch (err) {
          if (signal.aborted) break;
          // The server forgot the agent (marked exited), or cannot be reached: register again.
          this.options.log.warn(`agent: ${(err as Error).message}`);
          await sleep(RECONNECT_MS, undefined, { signal }).catch(() => {});
        }
      }
    } finally {
      if (this.agentId) {
        await this.client
          .send({ method: 'POST', path: `/agents/${this.agentId}/status`, token: this.options.token, json: { status: 'exited' }, retryForMs: 5_000 })
          .then((r) => r.body.dump())
          .catch(() => {});
      }
      await this.client.close();
    }
  }

  /** Stops asking for work; the job in progress goes on to its end. */
  drain(): void {
    this.draining.abort();
  }

  /** Stops asking for work and stops the job in progress (it is reported as failed). */
  stop(): void {
    this.draining.abort();
    this.stopping.abort();
    this.current?.stop('shutdown');
  }

  private async register(): Promise<RegisterResponse> {
    const registration = await this.client.json<RegisterResponse>({
      method: 'POST',
      path: '/register',
      token: this.options.token,
      json: { name: this.options.name },
      retryForMs: Number.POSITIVE_INFINITY,
      signal: this.draining.signal,
    });
    if (!registration) throw new Error('the server answered the registration with nothing');
    return registration;
  }

  private async serve(env: JobEnvironment, registration: RegisterResponse): Promise<void> {
    const { signal } = this.draining;
    while (!signal.aborted) {
      const job = await this.client.json<AnyJob>({
        method: 'POST',
        path: `/agents/${registration.agentId}/jobs/next`,
        token: this.options.token,
        retryForMs: Number.POSITIVE_INFINITY,
        signal,
      });
      if (job) await this.work(env, job, registration.heartbeatMs);
    }
  }

  private async work(env: JobEnvironment, job: AnyJob, heartbeatMs: number): Promise<void> {
    const controller = new AbortController();
    let reason: StopReason | undefined;
    const stop = (why: StopReason) => {
      reason ??= why;
      controller.abort();
    };
    // Terraform runs only once the server has recorded that this agent took the job (its first
    // heartbeat). A run's phase that arrives as the agent drains is left unaccepted, as is one the
    // server no longer knows: the server queues it again (runs/runner-service.ts abandon). A module
    // test run has no queue to go back to: it runs.
    if (this.draining.signal.aborted && job.kind !== 'test') return;
    const heartbeat = async (retry: { retryForMs: number; signal?: AbortSignal }) => {
      const answer = await this.client.json<HeartbeatResponse>({
        method: 'POST',
        path: `/jobs/${job.runId}/${job.phase}/heartbeat`,
        token: job.token,
        ...retry,
      });
      if (answer?.cancel) stop('canceled');
    };
    try {
      await heartbeat({ retryForMs: heartbeatMs * 5 });
    } catch (err) {
      this.options.log.warn(`agent: ${job.runId}/${job.phase} was not accepted: ${(err as Error).message}`);
      return;
    }
    this.current = { stop };
    if (this.stopping.signal.aborted) stop('shutdown');
    const finished = new AbortController();
    // One heartbeat at a time; failures while the server is away are reported once, not every beat.
    const heartbeats = (async () => {
      let failing = false;
      for (;;) {
        // The acceptance above was the first beat.
        await sleep(heartbeatMs, undefined, { signal: finished.signal }).catch(() => {});
        if (finished.signal.aborted) return;
        try {
          await heartbeat({ retryForMs: 0, signal: finished.signal });
          failing = false;
        } catch (err) {
          if (err instanceof ProtocolError && err.gone) stop('lost');
          else if (!failing && !finished.signal.aborted) this.options.log.warn(`heartbeat of ${job.runId}/${job.phase} failed: ${(err as Error).message}`);
          failing = true;
        }
      }
    })();
    try {
      this.options.log.info(job.kind === 'test' ? `agent: test run ${job.runId}` : `agent: ${job.phase} of run ${job.runId}`);
      await runJob(
        env,
        job,
        controller.signal,
        () => reason,
        (message) => this.options.log.warn(message),
      );
    } finally {
      finished.abort();
      await heartbeats;
      this.current = undefined;
    }
  }
}
