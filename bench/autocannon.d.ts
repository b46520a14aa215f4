/** The part of autocannon 9's API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  import type { ConnectionOptions } from 'node:tls';

  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Requests in all, instead of a duration. */
      amount?: number;
      /** Worker threads firing requests; 0 fires from this thread. */
      workers?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Replaces each `[<id>]` in the body with a unique, URL-safe id of 33 characters. */
      idReplacement?: boolean;
      tlsOptions?: ConnectionOptions;
    }

    /** Milliseconds for latency, requests for request rates (per one-second sample). */
    interface Histogram {
      average: number;
      p50: number;
      p99: number;
      max: number;
    }

    interface Result {
      latency: Histogram;
      requests: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      totalCompletedRequests: number;
      /** Seconds. */
      duration: number;
      statusCodeStats: Record<string, { count: number }>;
    }
  }

  /** A running load: its result when awaited, and its events meanwhile. */
  interface Instance extends Promise<autocannon.Result> {
    /** Each response: the connection's client, the status, the body's bytes and the latency in ms. */
    on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): this;
    /** A connection error or a timeout. */
    on(event: 'reqError', listener: (error: Error) => void): this;
  }

  function autocannon(options: autocannon.Options): Instance;
  export = autocannon;
}
