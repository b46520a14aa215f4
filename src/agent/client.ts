import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { AGENT_API_PREFIX } from './protocol.js';

/**
 * The agent's HTTPS client for the agent protocol. Requests that fail for a reason that passes (the
 * server restarting, a proxy's 502/503/504, a rate limit) are retried with backoff for a while: a
 * server restart does not interrupt a run on an agent.
 */

export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The server no longer knows the job or the agent (token revoked, run ended): stop working on it. */
  get gone(): boolean {
    return this.status === 401 || this.status === 404 || this.status === 409;
  }
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  token: string;
  query?: Record<string, string>;
  json?: unknown;
  /** Raw bytes; a stream cannot be sent twice, so a request with one is never retried. */
  body?: Buffer | (() => Readable);
  /** How long to keep retrying transient failures, in ms (default: a few minutes). */
  retryForMs?: number;
  signal?: AbortSignal;
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);
const DEFAULT_RETRY_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 5_000;

export class AgentClient {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly baseUrl: string,
    caCertificate: string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    this.dispatcher = new Agent({ connect: caCertificate ? { ca: caCertificate } : {}, headersTimeout: 60_000, bodyTimeout: 300_000 });
  }

  /** Sends the request; resolves with the response (2xx) whose body the caller must consume. */
  async send(options: RequestOptions): Promise<Dispatcher.ResponseData> {
    const deadline = Date.now() + (options.retryForMs ?? DEFAULT_RETRY_MS);
    for (let attempt = 0; ; attempt++) {
      let transient: string;
      try {
        const url = new URL(`${AGENT_API_PREFIX}${options.path}`, this.baseUrl);
        for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
        const body = options.json !== undefined ? JSON.stringify(options.json) : typeof options.body === 'function' ? options.body() : options.body;
        const response = await request(url, {
          method: options.method,
          dispatcher: this.dispatcher,
          headers: {
            authorization: `Bearer ${options.token}`,
            ...(options.json !== undefined ? { 'content-type': 'application/json' } : body !== undefined ? { 'content-type': 'application/octet-stream' } : {}),
          },
          body: body ?? (options.method === 'GET' ? undefined : ''),
          signal: options.signal,
        });
        if (response.statusCode < 300) return response;
        const text = await response.body.text();
        if (!TRANSIENT_STATUSES.has(response.statusCode) || typeof options.body === 'function') {
          throw new ProtocolError(response.statusCode, `${options.method} ${options.path}: ${response.statusCode} ${errorDetail(text)}`);
        }
        transient = `${response.statusCode}`;
      } catch (err) {
        if (err instanceof ProtocolError || options.signal?.aborted || typeof options.body === 'function') throw err;
        transient = (err as Error).message;
      }
      if (Date.now() >= deadline) throw new Error(`${options.method} ${options.path} failed: ${transient}`);
      if (attempt % 20 === 1) this.warn(`${options.method} ${options.path} failed (${transient}); retrying`);
      await sleep(Math.min(250 * 2 ** Math.min(attempt, 5), MAX_BACKOFF_MS), undefined, options.signal ? { signal: options.signal } : {}).catch(() => {});
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    }
  }

  async json<T>(options: RequestOptions): Promise<T | undefined> {
    const response = await this.send(options);
    if (response.statusCode === 204) {
      await response.body.dump();
      return undefined;
    }
    return (await response.body.json()) as T;
  }

  /** A download as a stream. */
  async stream(options: Omit<RequestOptions, 'method'>): Promise<Readable> {
    const response = await this.send({ ...options, method: 'GET' });
    return Readable.from(response.body);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

function errorDetail(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: { detail?: string; title?: string }[] };
    const first = parsed.errors?.[0];
    if (first) return first.detail ?? first.title ?? '';
  } catch {
    // Not JSON: use the text.
  }
  return text.slice(0, 200);
}
