import type { Config } from '../config.js';
import { hmacSha512Hex, post } from '../outbound.js';

/** What Terrace sends to a task's URL (run-tasks-integration.mdx "Run Task Request"): the run's requests and the verification. */

/** Longest wait for the task's URL to take a request. */
const REQUEST_TIMEOUT_MS = 10_000;

/** `X-TFC-Task-Signature`: the HMAC-SHA512 of the body under the task's key, hex; empty without a key. */
export function taskSignature(body: string, key: string | null): string {
  return key === null ? '' : hmacSha512Hex(body, key);
}

/** POSTs the body, signed with `key`, to the task's URL; resolves when it answered 200, throws with the reason otherwise. */
export async function postToTask(config: Pick<Config, 'hostname'>, url: string, body: string, key: string | null): Promise<void> {
  const response = await post(
    url,
    { 'Content-Type': 'application/json', 'User-Agent': `TFC/1.0 (+https://${config.hostname}; TFC)`, 'X-TFC-Task-Signature': taskSignature(body, key) },
    body,
    REQUEST_TIMEOUT_MS,
  );
  // The answer's body says nothing the protocol uses: not read.
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`it answered ${response.status}`);
}

/** The access token of the verification request: never a valid token, as integrations expect (they answer 200 at once). */
export const VERIFICATION_TOKEN = 'test-token';

/**
 * The request sent when a task is created or its URL or key changes: the common properties with
 * placeholder values and the verification token, signed as a run's requests are.
 */
export function verificationBody(organizationName: string): string {
  return JSON.stringify({
    payload_version: 1,
    stage: 'test',
    access_token: VERIFICATION_TOKEN,
    capabilities: { outcomes: true },
    configuration_version_download_url: null,
    configuration_version_id: null,
    is_speculative: false,
    organization_name: organizationName,
    run_app_url: null,
    run_created_at: null,
    run_created_by: null,
    run_id: null,
    run_message: null,
    task_result_callback_url: null,
    task_result_enforcement_level: null,
    task_result_id: null,
    vcs_branch: null,
    vcs_commit_url: null,
    vcs_pull_request_url: null,
    vcs_repo_url: null,
    workspace_app_url: null,
    workspace_id: null,
    workspace_name: null,
    workspace_working_directory: null,
  });
}
