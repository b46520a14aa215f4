import type { Subject } from './subject.js';
import type { RunId } from '../ids.js';

/**
 * A run task's access token reads exactly what run-tasks-integration.mdx hands its integration: its
 * run's configuration version (`configuration_version_download_url`) and plan JSON
 * (`plan_json_api_url`), besides reporting its result. It has no role anywhere, so every other check
 * refuses it; these two reads ask this first.
 * @returns the run whose integration holds the token, or undefined for any other caller
 */
export function taskTokenRunId(subject: Subject): RunId | undefined {
  return subject.kind === 'task-result' ? subject.runId : undefined;
}
