import type { RunWorkdir } from '../runner/workdir.js';
import { fetchConfiguration, type JobEnvironment, PhaseFailure, type PreparedJob, prepareJob, Tail, terraform } from './job-steps.js';
import type { JobLog } from './job-log.js';
import { type FinishRequest, TEST_STATUSES, type TestCounts, type TestJob, type TestStatus } from './protocol.js';

/**
 * A module test on an agent (private-registry/tests.mdx): `terraform test -json` of the uploaded
 * configuration, in the same kind of private directory and sandbox as a run's phase, its JSON lines
 * streamed as the log that `terraform test -cloud-run` renders. The configuration keeps its own state
 * (terraform test holds it in memory), so no backend is pointed anywhere; the job token is in the CLI
 * configuration only for `init` to install the organization's private modules.
 */

export async function prepareTest(env: JobEnvironment, job: TestJob, log: JobLog, signal: AbortSignal, workdir: RunWorkdir): Promise<PreparedJob<TestJob>> {
  const deadline = Date.now() + job.timeoutMs;
  await fetchConfiguration(env, job, signal, workdir.configDir);
  return prepareJob({ job, env, log, signal, deadline, workdir, dir: workdir.configDir });
}

interface TestSummary {
  status: TestStatus;
  counts: TestCounts;
}

/** terraform's last `test_summary` line: `{"type":"test_summary","test_summary":{"status":"pass","passed":1,…}}`. */
function summaryOf(tail: Tail): TestSummary | undefined {
  for (const line of tail.lines()) {
    if (!line.includes('"test_summary"')) continue;
    try {
      const { test_summary: s } = JSON.parse(line) as { test_summary?: Partial<Record<keyof TestCounts, number>> & { status?: string } };
      if (s && TEST_STATUSES.includes(s.status as TestStatus)) {
        return { status: s.status as TestStatus, counts: { passed: s.passed ?? 0, failed: s.failed ?? 0, errored: s.errored ?? 0, skipped: s.skipped ?? 0 } };
      }
    } catch {
      // Not the summary after all: keep looking.
    }
  }
  return undefined;
}

export async function test(prepared: PreparedJob<TestJob>): Promise<FinishRequest> {
  const { job } = prepared;
  await terraform(prepared, ['init', '-input=false', '-no-color'], { output: 'quiet' });
  const tail = new Tail();
  try {
    // terraform 1.11 has no `-parallelism` for test: the test run keeps the attribute, terraform its default.
    await terraform(
      prepared,
      [
        'test',
        '-json',
        `-test-directory=${job.testDirectory}`,
        ...job.filters.map((filter) => `-filter=${filter}`),
        ...(job.verbose ? ['-verbose'] : []),
        ...prepared.varsFiles.map((file) => `-var-file=${file}`),
      ],
      { tap: (chunk) => tail.add(chunk) },
    );
  } catch (err) {
    // A failing test makes terraform exit 1 after its summary: the test run finished, with `fail`.
    if (!(err instanceof PhaseFailure) || !summaryOf(tail)) throw err;
  }
  const summary = summaryOf(tail);
  if (!summary) throw new PhaseFailure('terraform test ended without its summary');
  return { outcome: 'tested', testStatus: summary.status, counts: summary.counts };
}
