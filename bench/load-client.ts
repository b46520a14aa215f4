import autocannon from 'autocannon';

/**
 * The load generator of `measure()` (bench/load.ts), in a process of its own so that its work does
 * not queue behind the server's on one event loop. It opens the connections, keeps them for the
 * warm-up and the measurement, and reports on the responses to requests sent after the warm-up:
 * a fresh set of connections for the measurement would put every connection's TLS handshake in it,
 * which with 200 clients on a saturated 2-core machine is the slowest part of the whole run.
 */

export interface LoadClientJob {
  options: autocannon.Options;
  warmUpSeconds: number;
  /** Seconds of measurement after the warm-up. */
  duration: number;
}

export interface LoadClientReport {
  /** Latencies in ms of the 2xx responses to requests sent after the warm-up, sorted. */
  latencies: number[];
  /** Requests answered after the warm-up, per second of measurement. */
  requestsPerSecond: number;
  /** Non-2xx responses, connection errors and timeouts after the warm-up. */
  failures: number;
  statusCodes: Record<string, number>;
  /** When the last of the connections had its first response, in ms from the start. */
  allConnectedMs: number;
}

async function run(job: LoadClientJob): Promise<LoadClientReport> {
  const started = performance.now();
  const measuredFrom = started + job.warmUpSeconds * 1000;
  const connections = job.options.connections ?? 1;
  const answered = new Set<unknown>();
  const report: LoadClientReport = { latencies: [], requestsPerSecond: 0, failures: 0, statusCodes: {}, allConnectedMs: Number.NaN };
  const instance = autocannon({ ...job.options, workers: 0, duration: job.warmUpSeconds + job.duration });
  instance.on('response', (client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    const now = performance.now();
    if (answered.size < connections) {
      answered.add(client);
      if (answered.size === connections) report.allConnectedMs = now - started;
    }
    if (now - responseTime < measuredFrom) return;
    report.statusCodes[statusCode] = (report.statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) report.latencies.push(responseTime);
    else report.failures++;
  });
  instance.on('reqError', () => {
    if (performance.now() >= measuredFrom) report.failures++;
  });
  await instance;
  const measuredSeconds = Math.max((performance.now() - measuredFrom) / 1000, Number.EPSILON);
  report.requestsPerSecond = (report.latencies.length + report.failures) / measuredSeconds;
  report.latencies.sort((a, b) => a - b);
  return report;
}

process.once('message', (job: LoadClientJob) => {
  run(job).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`load client failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
});
