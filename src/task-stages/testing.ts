import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from '../../test/harness.js';

/** Shared by the task stage tests: a run task integration (run-tasks-integration.mdx) on loopback. */

/**
 * What the service does when a run's request comes: call back these reports in order, nothing
 * (`quiet`), or refuse it with a 503 (`down`: it still took the verification when the task was created).
 * `refuse` refuses every request, the verification too.
 */
export type Behaviour = { reports: { status: string; message?: string; outcomes?: unknown[] }[] } | 'quiet' | 'down' | 'refuse';

export interface Received {
  path: string;
  payload: any;
  signature: string;
  /** What the access token got: the plan JSON URL, the configuration download, a workspace it may not read. */
  reads: Record<string, number>;
}

/** A run task integration on loopback: it answers each request at once and then does what its URL's path was given. */
export class TaskService {
  private listener!: Server;
  url = '';
  readonly received: Received[] = [];
  /** The verification requests (access token `test-token`), by path. */
  readonly verifications: Received[] = [];
  readonly behaviours = new Map<string, Behaviour>();
  /**
   * What the service's own calls to Terrace failed with. A run may end (and the suite stop Terrace)
   * before a late check has called back; the tests assert the run's outcome, not these.
   */
  readonly workFailures: unknown[] = [];
  private readonly working = new Set<Promise<void>>();

  constructor(private readonly terrace: TestServer) {}

  async start(): Promise<void> {
    this.listener = createServer((request, response) => {
      void this.handle(request).then(
        (status) => response.writeHead(status).end(),
        (err: unknown) => response.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve) => this.listener.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.listener.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.working);
    await new Promise((resolve) => this.listener.close(resolve));
  }

  private async handle(request: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const payload = JSON.parse(body);
    const path = request.url ?? '';
    const received: Received = { path, payload, signature: String(request.headers['x-tfc-task-signature']), reads: {} };
    const behaviour = this.behaviours.get(path) ?? 'quiet';
    if (behaviour === 'refuse') return 401;
    if (payload.access_token === 'test-token') {
      this.verifications.push(received);
      return 200;
    }
    this.received.push(received);
    if (behaviour === 'down') return 503;
    // Answer first, then work: the request must not wait for the check (run-tasks-integration.mdx).
    setTimeout(() => {
      const work = this.work(received, behaviour).catch((err: unknown) => void this.workFailures.push(err));
      this.working.add(work);
      void work.finally(() => this.working.delete(work));
    }, 50);
    return 200;
  }

  private async work(received: Received, behaviour: Behaviour): Promise<void> {
    const token = received.payload.access_token as string;
    const read = async (name: string, url: string | null) => {
      // Following the plan JSON's redirect to its short-lived URL, as an integration's HTTP client does.
      if (url) received.reads[name] = (await this.terrace.api('GET', url, { token, redirect: 'follow' })).status;
    };
    await read('plan-json', received.payload.plan_json_api_url ?? null);
    await read('configuration', received.payload.configuration_version_download_url);
    await read('workspace', `/api/v2/workspaces/${received.payload.workspace_id}`);
    if (typeof behaviour === 'string') return;
    for (const report of behaviour.reports) {
      const res = await this.terrace.api('PATCH', received.payload.task_result_callback_url, {
        token,
        body: {
          data: {
            type: 'task-results',
            attributes: { status: report.status, message: report.message, url: 'https://checks.example.com/report/1' },
            ...(report.outcomes ? { relationships: { outcomes: { data: report.outcomes } } } : {}),
          },
        },
      });
      assert.equal(res.status, 200, res.text);
    }
  }

  requestFor(runId: string, stage: string): Received | undefined {
    return this.received.find((r) => r.payload.run_id === runId && r.payload.stage === stage);
  }
}
