import type { RunId, WorkspaceId } from '../ids.js';
/** Who is calling. Set once per request by the authentication hook. */
export type Subject =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly username: string;
      readonly isSiteAdmin: boolean;
      /** The user token used; null for the configured TERRACE_ADMIN_TOKEN. */
      readonly tokenId: string | null;
    }
  | { readonly kind: 'team'; readonly teamId: string; readonly organizationId: string; readonly tokenId: string }
  | { readonly kind: 'organization'; readonly organizationId: string; readonly tokenId: string }
  /** The token of one run's terraform (src/auth/run-access.ts says what it may do). */
  | { readonly kind: 'run'; readonly runId: RunId; readonly workspaceId: WorkspaceId; readonly organizationId: string; readonly tokenId: string }
  /** A module test run's job token (src/module-tests/): it may read its organization's private registry, nothing else. */
  | { readonly kind: 'test-run'; readonly testRunId: string; readonly organizationId: string; readonly tokenId: string }
  /**
   * A run task's access token (run-tasks-integration.mdx `access_token`): it may report its result and
   * read its run's configuration and plan JSON, nothing else (task-stages/service.ts says where).
   */
  | { readonly kind: 'task-result'; readonly taskResultId: string; readonly runId: RunId; readonly organizationId: string; readonly tokenId: string }
  /** An agent token: it may use the agent protocol only, nothing in /api/v2. A null pool is the built-in runner. */
  | { readonly kind: 'agent'; readonly tokenId: string; readonly agentPoolId: string | null; readonly organizationId: string | null };

export const ANONYMOUS: Subject = Object.freeze({ kind: 'anonymous' });

/** The key that rate limits and logs use: one bucket per user (not per token), team, organization. */
export function subjectKey(subject: Subject): string | undefined {
  switch (subject.kind) {
    case 'user':
      return `user:${subject.userId}`;
    case 'team':
      return `team:${subject.teamId}`;
    case 'organization':
      return `organization:${subject.organizationId}`;
    case 'run':
      return `run:${subject.runId}`;
    case 'test-run':
      return `test-run:${subject.testRunId}`;
    case 'agent':
      return `agent:${subject.tokenId}`;
    case 'task-result':
      return `task-result:${subject.taskResultId}`;
    default:
      return undefined;
  }
}
