/**
 * The agent protocol (docs/design.md "Agents"): what an agent and the server say to each other over
 * HTTPS, below `/api/agent/v1`. Plain JSON, not JSON:API: no public client speaks it. The agent
 * authenticates with its agent token to register and to ask for work; everything about one job (one
 * phase of one run) uses the job token the claim hands out, which is also the token the run's
 * terraform uses with the workspace, and dies when the phase ends.
 *
 * Types only: the agent (src/agent/) and the server (src/agent-protocol/) share them.
 */

import type { ArchiveLimits } from '../runner/extract.js';

export const AGENT_API_PREFIX = '/api/agent/v1';

export interface RegisterRequest {
  /** A name for the agents list (e.g. the host name). */
  name?: string;
}

export interface RegisterResponse {
  agentId: string;
  /** How often to ask for work when idle and to heartbeat a job, in ms. */
  heartbeatMs: number;
}

/** What an agent tells the server about itself (`POST /agents/:id/status`): `exited` when it stops. */
export interface AgentStatusRequest {
  status: 'idle' | 'busy' | 'exited' | 'errored';
}

export interface JobVariable {
  key: string;
  value: string;
  category: 'terraform' | 'env';
  hcl: boolean;
  sensitive: boolean;
}

/** One phase of one run, handed to the agent that claimed it. */
export interface Job {
  kind: 'run';
  runId: string;
  phase: 'plan' | 'apply';
  /** The job token: the agent's credential for this job and the run's terraform's for the workspace. */
  token: string;
  /** The server's public `host[:port]`, which the run's backend points at. */
  hostname: string;
  /** PEM of the CA that signed the server's certificate when it is self-signed; null with a configured certificate. */
  caCertificate: string | null;
  organizationName: string;
  workspaceName: string;
  projectName: string;
  /** The terraform version constraint the run needs. */
  terraformVersion: string;
  /** `working-directory` inside the configuration. */
  workingDirectory: string;
  /** terraform's `-json` output (structured run output), else plain text. */
  json: boolean;
  debugging: boolean;
  /** Whether the run holds its workspace's lock (else terraform must not take it: `-lock=false`). */
  holdsLock: boolean;
  plan: {
    isDestroy: boolean;
    refreshOnly: boolean;
    refresh: boolean;
    targetAddrs: string[];
    replaceAddrs: string[];
  };
  variables: JobVariable[];
  /** The private key of the workspace's SSH key (ssh-keys.mdx), for `terraform init`'s git clones over ssh; null without one. */
  sshKey: string | null;
  /** Wall-clock limit of the phase, in ms. */
  timeoutMs: number;
  /** What the configuration archive may unpack to. */
  archiveLimits: ArchiveLimits;
}

/**
 * A module's test run (private-registry/tests.mdx): `terraform test` of an uploaded configuration. Its
 * job routes are a run's with the test run's id and the phase `test`.
 */
export interface TestJob {
  kind: 'test';
  /** The test run's id. */
  runId: string;
  phase: 'test';
  token: string;
  hostname: string;
  caCertificate: string | null;
  organizationName: string;
  /** The module under test, `namespace/name/provider`, for the log. */
  moduleName: string;
  /** `-test-directory`. */
  testDirectory: string;
  /** `-filter` for each. */
  filters: string[];
  verbose: boolean;
  /** The module's test environment variables and the test run's terraform variables (HCL literals). */
  variables: JobVariable[];
  timeoutMs: number;
  archiveLimits: ArchiveLimits;
}

/** What a claim hands out. */
export type AnyJob = Job | TestJob;

/** tests.mdx "Detailed test status". */
export interface TestCounts {
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

/** terraform's `test_summary` statuses (go-tfe TestStatus). */
export const TEST_STATUSES = ['pass', 'fail', 'error', 'skip', 'pending'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/**
 * The files a plan leaves for its apply and for the API (`PUT /jobs/:run/:phase/artifacts/:name`), and
 * the one an apply may leave: the state terraform could not upload (`errored.tfstate`).
 */
export const ARTIFACT_PHASES = {
  'plan-file': 'plan',
  'plan-json': 'plan',
  'plan-redacted-json': 'plan',
  'lock-file': 'plan',
  'provider-schemas': 'plan',
  'errored-state': 'apply',
} as const;
export type ArtifactName = keyof typeof ARTIFACT_PHASES;

export interface HeartbeatResponse {
  /** Stop terraform now (SIGINT, then SIGKILL): the run was canceled or ended elsewhere. */
  cancel: boolean;
}

export interface ResourceCounts {
  additions: number;
  changes: number;
  destructions: number;
  imports: number;
}

/** How the phase ended (`POST /jobs/:run/:phase/finish`). */
export type FinishRequest =
  | { outcome: 'planned'; hasChanges: boolean; counts: ResourceCounts }
  | { outcome: 'applied'; counts: ResourceCounts }
  /** A test job ran `terraform test` to its summary. */
  | { outcome: 'tested'; testStatus: TestStatus; counts: TestCounts }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'canceled' }
  /** The agent shut down during the phase: a plan goes back to the queue, an apply fails with the reason. */
  | { outcome: 'interrupted'; reason: string };
