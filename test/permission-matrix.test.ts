import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type Member, TeamWorld, unique } from '../src/teams/testing.js';
import * as configurationVersionStore from '../src/configuration-versions/store.js';
import { newId } from '../src/ids.js';
import { WebhookReceiver } from '../src/notification-configurations/testing.js';
import { TaskService } from '../src/task-stages/testing.js';
import { forEachDatabase, type TestServer } from './harness.js';

/**
 * The permission matrix (issue 7): every endpoint × every kind of caller → the documented status, from
 * the one table MATRIX below. A new endpoint joins it with one line:
 *   row('GET', (f) => `/workspaces/${f.workspace.id}/things`, 200, READERS),
 * the callers listed get the success status, everyone else a 404 (hidden, seeds/000), a bad token a 401,
 * and `also` names the exceptions the docs give (403 for force delete).
 */

/** The callers: the roles, a team at each workspace and project access level (on the fixture's workspace and project), and outsiders. */
const SUBJECTS = [
  'owner',
  'admin',
  'ownersToken',
  'orgToken',
  'wsRead',
  'wsPlan',
  'wsWrite',
  'wsAdmin',
  'wsCustom',
  'teamToken',
  'prjRead',
  'prjWrite',
  'prjMaintain',
  'prjAdmin',
  'prjCustom',
  'member',
  // A member of a team with "Manage Agent Pools" (and no other access), and a token of the fixture's agent pool.
  'poolManager',
  'agentToken',
  'stranger',
  'bad',
] as const;
type Subject = (typeof SUBJECTS)[number];

const WORKSPACE_LEVELS: Record<string, Record<string, unknown>> = {
  wsRead: { access: 'read' },
  wsPlan: { access: 'plan' },
  wsWrite: { access: 'write' },
  wsAdmin: { access: 'admin' },
  wsCustom: { access: 'custom', runs: 'plan', variables: 'write', 'state-versions': 'read-outputs', 'workspace-locking': true },
};
const PROJECT_LEVELS: Record<string, Record<string, unknown>> = {
  prjRead: { access: 'read' },
  prjWrite: { access: 'write' },
  prjMaintain: { access: 'maintain' },
  prjAdmin: { access: 'admin' },
  prjCustom: {
    access: 'custom',
    'project-access': { settings: 'update', teams: 'read' },
    'workspace-access': { runs: 'read', variables: 'read', create: true },
  },
};

// Groups of callers, by what the permission model gives them.
/** Owners: the owners team's members and token, and site admins. */
const OWNERS = 'owner admin ownersToken';
/** Who acts as an owner on most endpoints: the organization token too. */
const ORG = `${OWNERS} orgToken`;
/** `teamToken` is the token of the wsWrite team. */
const WS_TEAMS = 'wsRead wsPlan wsWrite wsAdmin wsCustom teamToken';
const PRJ_TEAMS = 'prjRead prjWrite prjMaintain prjAdmin prjCustom';
/** Whoever reads the fixture's workspace (and so its project). */
const READERS = `${ORG} ${WS_TEAMS} ${PRJ_TEAMS}`;
/** Everyone in the organization, with access or not. */
const IN_ORG = `${READERS} member poolManager`;
/** Who sees the fixture's workspace: its readers, and "Manage Agent Pools", which "implicitly grants access to read all workspaces". */
const WORKSPACE_VIEWERS = `${READERS} poolManager`;
/** Who reads and manages agent pools, their agents and tokens (permissions.mdx "Manage Agent Pools"). */
const POOL_MANAGERS = `${ORG} poolManager`;
/** Workspace admins of the fixture's workspace. */
const WS_ADMINS = `${ORG} wsAdmin prjMaintain prjAdmin`;
/** Who reads the fixture's state versions: not custom access limited to outputs. */
const STATE_READERS = `${ORG} wsRead wsPlan wsWrite wsAdmin teamToken prjRead prjWrite prjMaintain prjAdmin`;
/** Who reads runs: every access level, and custom access with runs ≥ read. */
const RUN_READERS = `${OWNERS} orgToken ${WS_TEAMS} ${PRJ_TEAMS}`;
/** Who queues plans: plan access and above, and custom access with runs ≥ plan. */
const RUN_QUEUERS = `${OWNERS} wsPlan wsWrite wsAdmin wsCustom teamToken prjWrite prjMaintain prjAdmin`;
/** Users (tokens of users), anywhere. */
const USERS = 'owner admin wsRead wsPlan wsWrite wsAdmin wsCustom prjRead prjWrite prjMaintain prjAdmin prjCustom member poolManager stranger';

/** The world the rows act on, and fresh resources for the rows that consume one per call. */
interface Fixture {
  org: string;
  project: string;
  workspace: { id: string; name: string };
  /** A visible team none of the callers is in, with a legacy token. */
  team: string;
  /** An organization-scoped agent pool with an agent and an agent token (`agentToken`'s). */
  pool: string;
  agent: string;
  agentTokenId: string;
  /** The membership of a user who is none of the callers. */
  membership: string;
  varset: string;
  /** A run task of the organization, and one associated with the fixture's workspace. */
  task: string;
  /** A loopback run task service that answers the verification request of every task created. */
  taskUrl: string;
  workspaceTask: string;
  /** A plan-only run of the fixture's workspace (it holds no lock), with the post-plan stage of its associated task. */
  run: { id: string; taskStageId: string; taskResultId: string };
  /** A run trigger of the fixture's workspace from another workspace of its project, and a comment on the run. */
  runTrigger: string;
  comment: string;
  /** A private registry module of the organization (provider `null`): its name. */
  module: string;
  /** A loopback webhook receiver that answers 200, and a generic notification configuration of the fixture's workspace sending to it. */
  notificationUrl: string;
  notificationConfiguration: string;
  sshKey: string;
  /** An OPA policy set of the organization with no version (so it applies to no run), and a pending version of it. */
  policySet: string;
  policySetVersion: string;
  /** A parameter of that set. */
  policySetParameter: string;
  /** An individual OPA policy of the organization, in no set. */
  policy: string;
  fresh: {
    name(prefix: string): string;
    team(): Promise<string>;
    user(): Promise<{ id: string; username: string }>;
    member(): Promise<Member>;
    membership(): Promise<string>;
    workspace(): Promise<string>;
    project(): Promise<string>;
    pool(): Promise<string>;
    /** An agent that exited, which may be deleted. */
    agent(): Promise<string>;
    agentToken(): Promise<string>;
    task(): Promise<string>;
    reservedTagKey(): Promise<string>;
    /** A run task associated with the fixture's workspace: the association's id. */
    workspaceTask(): Promise<string>;
    /** A run trigger of the fixture's workspace from a new workspace of its project. */
    runTrigger(): Promise<string>;
    /** A private registry module (provider `null`): its name. */
    module(): Promise<string>;
    /** A private registry provider: its name. */
    provider(): Promise<string>;
    notificationConfiguration(): Promise<string>;
    sshKey(): Promise<string>;
    policySet(): Promise<string>;
    policySetParameter(): Promise<string>;
    policy(): Promise<string>;
  };
  /** A request as the owner, for set-up and clean-up around a call. */
  asOwner(method: string, path: string, body?: unknown): Promise<unknown>;
}

interface Row {
  method: string;
  /** With placeholders for the fixture's resources (PLACEHOLDERS): `/workspaces/:workspace/vars`. */
  path: string;
  status: number;
  allowed: string;
  body?: ((f: Fixture) => unknown) | undefined;
  /** Statuses other than `status` and 404 that the docs give some callers. */
  also?: Partial<Record<Subject, number>> | undefined;
  /** Run as the owner before and after every call (locks). */
  before?: ((f: Fixture) => Promise<unknown>) | undefined;
  after?: ((f: Fixture) => Promise<unknown>) | undefined;
}

function row(method: string, path: Row['path'], status: number, allowed: string, extra: Omit<Row, 'method' | 'path' | 'status' | 'allowed'> = {}): Row {
  return { method, path, status, allowed, ...extra };
}

const doc = (type: string, attributes: Record<string, unknown>, relationships?: Record<string, unknown>) => ({
  data: { type, attributes, ...(relationships ? { relationships } : {}) },
});
const link = (type: string, id: string) => ({ data: { type, id } });
const forceUnlock = (f: Fixture) => f.asOwner('POST', `/workspaces/${f.workspace.id}/actions/force-unlock`);

const MATRIX: Row[] = [
  // Organizations
  row('GET', '/organizations/:org', 200, IN_ORG),
  row('PATCH', '/organizations/:org', 200, OWNERS, { body: (f) => doc('organizations', { email: `${f.org}@example.com` }) }),
  row('GET', '/organizations/:org/entitlement-set', 200, IN_ORG),
  row('GET', '/organizations/:org/authentication-token', 200, ORG),
  // Memberships
  row('GET', '/organizations/:org/organization-memberships', 200, ORG),
  row('POST', '/organizations/:org/organization-memberships', 201, ORG, {
    body: async (f) => doc('organization-memberships', { email: `${(await f.fresh.user()).username}@example.com` }),
  }),
  row('GET', '/organization-memberships/:membership', 200, ORG),
  row('DELETE', '/organization-memberships/:fresh-membership', 204, ORG),
  row('GET', '/organization-memberships', 200, USERS),
  // Teams, members and tokens
  row('GET', '/organizations/:org/teams', 200, IN_ORG),
  row('POST', '/organizations/:org/teams', 200, ORG, { body: (f) => doc('teams', { name: f.fresh.name('t'), visibility: 'organization' }) }),
  row('GET', '/teams/:team', 200, IN_ORG),
  row('PATCH', '/teams/:team', 200, ORG, { body: (f) => doc('teams', { 'sso-team-id': f.fresh.name('sso') }) }),
  row('DELETE', '/teams/:fresh-team', 204, ORG),
  row('POST', '/teams/:team/relationships/users', 204, ORG, { body: async (f) => ({ data: [{ type: 'users', id: (await f.fresh.member()).username }] }) }),
  row('GET', '/teams/:team/authentication-token', 200, ORG),
  row('POST', '/teams/:team/authentication-tokens', 201, ORG, { body: (f) => doc('authentication-tokens', { description: f.fresh.name('d') }) }),
  row('GET', '/organizations/:org/team-tokens', 200, ORG),
  // Team access
  row('GET', '/team-workspaces?filter%5Bworkspace%5D%5Bid%5D=:workspace', 200, WORKSPACE_VIEWERS),
  row('POST', '/team-workspaces', 200, WS_ADMINS, {
    body: async (f) => doc('team-workspaces', { access: 'read' }, { workspace: link('workspaces', f.workspace.id), team: link('teams', await f.fresh.team()) }),
  }),
  row('GET', '/team-projects?filter%5Bproject%5D%5Bid%5D=:project', 200, READERS),
  row('POST', '/team-projects', 200, `${ORG} prjAdmin`, {
    body: async (f) => doc('team-projects', { access: 'read' }, { project: link('projects', f.project), team: link('teams', await f.fresh.team()) }),
  }),
  // Projects
  row('GET', '/organizations/:org/projects', 200, IN_ORG),
  row('POST', '/organizations/:org/projects', 201, ORG, { body: (f) => doc('projects', { name: f.fresh.name('p') }) }),
  row('GET', '/projects/:project', 200, READERS),
  row('PATCH', '/projects/:project', 200, `${ORG} prjAdmin prjCustom`, { body: (f) => doc('projects', { description: f.fresh.name('d') }) }),
  row('DELETE', '/projects/:fresh-project', 204, ORG),
  // Into the project the workspace is in: "Move Workspaces" on it (project admins) is all it takes.
  row('POST', '/projects/:project/relationships/workspaces', 204, `${ORG} prjAdmin`, { body: (f) => ({ data: [{ type: 'workspaces', id: f.workspace.id }] }) }),
  // Workspaces
  row('GET', '/organizations/:org/workspaces', 200, IN_ORG),
  row('POST', '/organizations/:org/workspaces', 201, `${ORG} prjMaintain prjAdmin prjCustom`, {
    body: (f) => doc('workspaces', { name: f.fresh.name('w') }, { project: link('projects', f.project) }),
  }),
  row('GET', '/workspaces/:workspace', 200, WORKSPACE_VIEWERS),
  row('GET', '/organizations/:org/workspaces/:workspace-name', 200, WORKSPACE_VIEWERS),
  row('PATCH', '/workspaces/:workspace', 200, WS_ADMINS, { body: (f) => doc('workspaces', { description: f.fresh.name('d') }) }),
  row('POST', '/workspaces/:fresh-workspace/actions/safe-delete', 204, `${ORG} prjMaintain prjAdmin`),
  // Force delete: owners only; others who may delete get 403 (workspaces.mdx "Force Delete a workspace").
  row('DELETE', '/workspaces/:fresh-workspace', 204, OWNERS, { also: { orgToken: 403, prjMaintain: 403, prjAdmin: 403 } }),
  // Locks (organization tokens cannot lock, api-tokens.mdx)
  row('POST', '/workspaces/:workspace/actions/lock', 200, `${OWNERS} wsWrite wsAdmin wsCustom teamToken prjWrite prjMaintain prjAdmin`, { after: forceUnlock }),
  row('POST', '/workspaces/:workspace/actions/force-unlock', 200, `${OWNERS} wsAdmin prjMaintain prjAdmin`, {
    before: (f) => f.asOwner('POST', `/workspaces/${f.workspace.id}/actions/lock`),
    after: forceUnlock,
  }),
  // Variables
  row('GET', '/workspaces/:workspace/vars', 200, READERS),
  row('GET', '/vars?filter%5Borganization%5D%5Bname%5D=:org&filter%5Bworkspace%5D%5Bname%5D=:workspace-name', 200, READERS),
  row('POST', '/workspaces/:workspace/vars', 201, `${ORG} wsWrite wsAdmin wsCustom teamToken prjWrite prjMaintain prjAdmin`, {
    body: (f) => doc('vars', { key: f.fresh.name('k').replace(/-/g, '_'), value: 'v', category: 'terraform' }),
  }),
  // Variable sets
  row('GET', '/organizations/:org/varsets', 200, ORG),
  row('POST', '/organizations/:org/varsets', 201, ORG, { body: (f) => doc('varsets', { name: f.fresh.name('vs') }) }),
  row('GET', '/varsets/:varset', 200, ORG),
  row('GET', '/workspaces/:workspace/varsets', 200, READERS),
  row('GET', '/projects/:project/varsets', 200, `${ORG} prjAdmin`),
  // Tags
  row('GET', '/organizations/:org/tags', 200, ORG),
  row('GET', '/organizations/:org/reserved-tag-keys', 200, ORG),
  row('POST', '/organizations/:org/reserved-tag-keys', 201, ORG, { body: (f) => doc('reserved-tag-keys', { key: f.fresh.name('key') }) }),
  row('PATCH', '/reserved-tags/:fresh-reserved-tag-key', 200, ORG, { body: () => doc('reserved-tag-keys', { 'disable-overrides': true }) }),
  row('DELETE', '/reserved-tags/:fresh-reserved-tag-key', 204, ORG),
  row('GET', '/workspaces/:workspace/relationships/tags', 200, WORKSPACE_VIEWERS),
  row('POST', '/workspaces/:workspace/relationships/tags', 204, WS_ADMINS, {
    body: (f) => ({ data: [{ type: 'tags', attributes: { name: f.fresh.name('tag') } }] }),
  }),
  row('GET', '/workspaces/:workspace/tag-bindings', 200, WORKSPACE_VIEWERS),
  row('POST', '/workspaces/:workspace/relationships/tag-bindings', 204, WS_ADMINS, {
    body: (f) => ({ data: [{ type: 'tag-bindings', attributes: { key: 'matrix', value: f.fresh.name('v') } }] }),
  }),
  row('POST', '/projects/:project/relationships/tag-bindings', 204, `${ORG} prjAdmin prjCustom`, {
    body: (f) => ({ data: [{ type: 'tag-bindings', attributes: { key: 'matrix', value: f.fresh.name('v') } }] }),
  }),
  row('GET', '/workspaces/:workspace/relationships/tag-bindings', 200, WORKSPACE_VIEWERS),
  row('PATCH', '/workspaces/:workspace/relationships/tag-bindings', 204, WS_ADMINS, {
    body: (f) => ({ data: [{ type: 'tag-bindings', attributes: { key: 'matrix', value: f.fresh.name('v') } }] }),
  }),
  row('PATCH', '/projects/:project/relationships/tag-bindings', 204, `${ORG} prjAdmin prjCustom`, {
    body: (f) => ({ data: [{ type: 'tag-bindings', attributes: { key: 'matrix', value: f.fresh.name('v') } }] }),
  }),
  // State (workspace "read" includes state versions; custom `read-outputs` does not, permissions.mdx)
  row('GET', '/state-versions?filter%5Borganization%5D%5Bname%5D=:org&filter%5Bworkspace%5D%5Bname%5D=:workspace-name', 200, STATE_READERS),
  row('GET', '/workspaces/:workspace/resources', 200, WORKSPACE_VIEWERS),
  // Configuration versions and runs (organization tokens cannot queue runs, api-tokens.mdx)
  row('GET', '/workspaces/:workspace/configuration-versions', 200, WORKSPACE_VIEWERS),
  row('POST', '/workspaces/:workspace/configuration-versions', 201, RUN_QUEUERS, { body: () => doc('configuration-versions', { 'auto-queue-runs': false }) }),
  row('GET', '/workspaces/:workspace/runs', 200, RUN_READERS),
  // Agent pools, agents and agent tokens (agents.mdx, agent-tokens.mdx); agent tokens themselves may do nothing here.
  row('GET', '/organizations/:org/agent-pools', 200, POOL_MANAGERS),
  row('POST', '/organizations/:org/agent-pools', 201, POOL_MANAGERS, { body: (f) => doc('agent-pools', { name: f.fresh.name('pool') }) }),
  row('GET', '/agent-pools/:pool', 200, POOL_MANAGERS),
  row('PATCH', '/agent-pools/:pool', 200, POOL_MANAGERS, { body: () => doc('agent-pools', { 'organization-scoped': true }) }),
  row('DELETE', '/agent-pools/:fresh-pool', 204, POOL_MANAGERS),
  row('GET', '/agent-pools/:pool/agents', 200, POOL_MANAGERS),
  row('GET', '/agents/:agent', 200, POOL_MANAGERS),
  row('DELETE', '/agents/:fresh-agent', 204, POOL_MANAGERS),
  row('GET', '/agent-pools/:pool/authentication-tokens', 200, POOL_MANAGERS),
  row('POST', '/agent-pools/:pool/authentication-tokens', 201, POOL_MANAGERS, {
    body: (f) => doc('authentication-tokens', { description: f.fresh.name('d') }),
  }),
  row('GET', '/authentication-tokens/:agent-token', 200, POOL_MANAGERS),
  row('DELETE', '/authentication-tokens/:fresh-agent-token', 204, POOL_MANAGERS),
  // Run tasks (run-tasks.mdx "Required Permissions"): "Manage Run Tasks" on the organization, "Manage Workspace Run Tasks" on a workspace.
  row('GET', '/organizations/:org/tasks', 200, ORG),
  row('POST', '/organizations/:org/tasks', 201, ORG, {
    body: (f) => doc('tasks', { name: f.fresh.name('task'), url: f.taskUrl, category: 'task' }),
  }),
  row('GET', '/tasks/:task', 200, ORG),
  row('PATCH', '/tasks/:task', 200, ORG, { body: () => doc('tasks', { description: 'checked' }) }),
  row('DELETE', '/tasks/:fresh-task', 204, ORG),
  row('GET', '/workspaces/:workspace/tasks', 200, WORKSPACE_VIEWERS),
  row('POST', '/workspaces/:workspace/tasks', 201, WS_ADMINS, {
    body: async (f) => doc('workspace-tasks', { 'enforcement-level': 'advisory' }, { task: link('tasks', await f.fresh.task()) }),
  }),
  row('GET', '/workspaces/:workspace/tasks/:workspace-task', 200, WORKSPACE_VIEWERS),
  row('PATCH', '/workspaces/:workspace/tasks/:workspace-task', 200, WS_ADMINS, { body: () => doc('workspace-tasks', { 'enforcement-level': 'mandatory' }) }),
  row('DELETE', '/workspaces/:workspace/tasks/:fresh-workspace-task', 204, WS_ADMINS),
  // Notification configurations: workspace admins (notification-configurations.mdx), "Manage teams" for a team's.
  row('GET', '/workspaces/:workspace/notification-configurations', 200, WS_ADMINS),
  row('POST', '/workspaces/:workspace/notification-configurations', 201, WS_ADMINS, {
    body: (f) => doc('notification-configurations', { 'destination-type': 'generic', name: f.fresh.name('nc'), url: f.notificationUrl }),
  }),
  row('GET', '/notification-configurations/:notification-configuration', 200, WS_ADMINS),
  row('PATCH', '/notification-configurations/:notification-configuration', 200, WS_ADMINS, {
    body: (f) => doc('notification-configurations', { name: f.fresh.name('nc') }),
  }),
  row('POST', '/notification-configurations/:notification-configuration/actions/verify', 200, WS_ADMINS),
  row('DELETE', '/notification-configurations/:fresh-notification-configuration', 204, WS_ADMINS),
  row('GET', '/teams/:team/notification-configurations', 200, ORG),
  row('POST', '/teams/:team/notification-configurations', 201, ORG, {
    body: (f) =>
      doc('notification-configurations', {
        'destination-type': 'generic',
        name: f.fresh.name('nc'),
        url: f.notificationUrl,
        triggers: ['change_request:created'],
      }),
  }),
  // Task stages and results: read with the run; the override needs "Manage Policy Overrides" (owners), others who read the run get 403, and a stage that waits for no override is a 409.
  row('GET', '/runs/:run/task-stages', 200, RUN_READERS),
  row('GET', '/task-stages/:task-stage', 200, RUN_READERS),
  row('GET', '/task-results/:task-result', 200, RUN_READERS),
  // Run triggers (run-triggers.mdx "Permissions"): admin on the workspace and read runs on the source to create; read runs on either side to show.
  row('GET', '/workspaces/:workspace/run-triggers?filter[run-trigger][type]=inbound', 200, RUN_READERS),
  row('POST', '/workspaces/:workspace/run-triggers', 201, `${ORG} prjMaintain prjAdmin`, {
    // The source is a new workspace of the project: workspace-level admins do not read its runs.
    body: async (f) => ({ data: { type: 'run-triggers', relationships: { sourceable: link('workspaces', await f.fresh.workspace()) } } }),
  }),
  row('GET', '/run-triggers/:run-trigger', 200, RUN_READERS),
  row('DELETE', '/run-triggers/:fresh-run-trigger', 204, WS_ADMINS),
  // Comments (comments.mdx): read with the run; written by who may queue plans ("also allows users to comment on runs"), a 403 for other run readers.
  row('GET', '/runs/:run/comments', 200, RUN_READERS),
  row('POST', '/runs/:run/comments', 201, RUN_QUEUERS, {
    body: () => doc('comments', { body: 'a comment' }),
    also: Object.fromEntries(
      RUN_READERS.split(' ')
        .filter((subject) => !RUN_QUEUERS.split(' ').includes(subject))
        .map((subject) => [subject, 403]),
    ),
  }),
  row('GET', '/comments/:comment', 200, RUN_READERS),
  // The private module registry (modules.mdx): read by everyone in the organization, published with "Manage Modules" (owners here) and by the organization token.
  row('GET', '/organizations/:org/registry-modules', 200, IN_ORG),
  row('POST', '/organizations/:org/registry-modules', 201, ORG, {
    body: (f) => doc('registry-modules', { name: f.fresh.name('mod'), provider: 'null', 'registry-name': 'private' }),
  }),
  row('GET', '/organizations/:org/registry-modules/private/:org/:module/null', 200, IN_ORG),
  row('PATCH', '/organizations/:org/registry-modules/private/:org/:module/null', 200, ORG, {
    body: () => doc('registry-modules', { 'test-config': { 'tests-enabled': true } }),
  }),
  row('POST', '/organizations/:org/registry-modules/private/:org/:module/null/versions', 201, ORG, {
    body: () => doc('registry-module-versions', { version: `1.0.${++moduleVersions}` }),
  }),
  row('DELETE', '/organizations/:org/registry-modules/private/:org/:fresh-module/null', 204, ORG),
  // Module tests (private-registry/tests.mdx): "the owners team", i.e. "Manage Modules", and the organization token.
  row('POST', '/organizations/:org/tests/registry-modules/private/:org/:module/null/test-runs/configuration-versions', 201, ORG),
  row('GET', '/organizations/:org/tests/registry-modules/private/:org/:module/null/test-runs', 200, ORG),
  // Without an uploaded configuration version: refused once authorized.
  row('POST', '/organizations/:org/tests/registry-modules/private/:org/:module/null/test-runs', 422, ORG, {
    body: () => ({
      data: { type: 'test-runs', attributes: {}, relationships: { 'configuration-version': { data: { type: 'configuration-versions', id: 'cv-none' } } } },
    }),
  }),
  row('GET', '/organizations/:org/tests/registry-modules/private/:org/:module/null/vars', 200, ORG),
  row('POST', '/organizations/:org/tests/registry-modules/private/:org/:module/null/vars', 201, ORG, {
    body: (f) => doc('vars', { key: f.fresh.name('K').replaceAll('-', '_'), value: 'v', category: 'env' }),
  }),
  // Private providers (providers.mdx): read by everyone in the organization, managed with "Manage Providers" (owners here) and by the organization token.
  row('GET', '/organizations/:org/registry-providers', 200, IN_ORG),
  row('POST', '/organizations/:org/registry-providers', 201, ORG, {
    body: (f) => doc('registry-providers', { name: f.fresh.name('prov'), 'registry-name': 'private' }),
  }),
  row('GET', '/organizations/:org/registry-providers/private/:org/:module', 200, IN_ORG),
  row('DELETE', '/organizations/:org/registry-providers/private/:org/:fresh-provider', 204, ORG),
  row('POST', '/task-stages/:task-stage/actions/override', 409, OWNERS, {
    also: Object.fromEntries(
      RUN_READERS.split(' ')
        .filter((subject) => !OWNERS.split(' ').includes(subject))
        .map((subject) => [subject, 403]),
    ),
  }),
  // SSH keys (ssh-keys.mdx): "Manage VCS settings" (owners here) manage them; workspace admins read them too; never organization tokens.
  row('GET', '/organizations/:org/ssh-keys', 200, `${OWNERS} wsAdmin prjMaintain prjAdmin`),
  row('POST', '/organizations/:org/ssh-keys', 201, OWNERS, { body: (f) => doc('ssh-keys', { name: f.fresh.name('key'), value: 'private key text' }) }),
  row('GET', '/ssh-keys/:ssh-key', 200, `${OWNERS} wsAdmin prjMaintain prjAdmin`),
  row('PATCH', '/ssh-keys/:ssh-key', 200, OWNERS, { body: (f) => doc('ssh-keys', { name: f.fresh.name('key') }) }),
  row('DELETE', '/ssh-keys/:fresh-ssh-key', 204, OWNERS),
  // A workspace setting (workspaces.mdx "Assign an SSH key to a workspace").
  row('PATCH', '/workspaces/:workspace/relationships/ssh-key', 200, WS_ADMINS, {
    body: (f) => ({ data: { type: 'workspaces', attributes: { id: f.sshKey } } }),
  }),
  // OPA policy sets (policy-sets.mdx): "Manage Policies" (owners and the organization token here) reads and manages them.
  row('GET', '/organizations/:org/policy-sets', 200, ORG),
  row('POST', '/organizations/:org/policy-sets', 201, ORG, { body: (f) => doc('policy-sets', { name: f.fresh.name('pols'), kind: 'opa' }) }),
  row('GET', '/policy-sets/:policy-set', 200, ORG),
  row('PATCH', '/policy-sets/:policy-set', 200, ORG, { body: (f) => doc('policy-sets', { description: f.fresh.name('d') }) }),
  ...(['workspaces', 'workspace-exclusions'] as const).flatMap((path) =>
    (['POST', 'DELETE'] as const).map((method) =>
      row(method, `/policy-sets/:policy-set/relationships/${path}`, 204, ORG, { body: (f) => ({ data: [link('workspaces', f.workspace.id).data] }) }),
    ),
  ),
  ...(['POST', 'DELETE'] as const).map((method) =>
    row(method, '/policy-sets/:policy-set/relationships/projects', 204, ORG, { body: (f) => ({ data: [link('projects', f.project).data] }) }),
  ),
  row('POST', '/policy-sets/:policy-set/versions', 201, ORG),
  row('GET', '/policy-set-versions/:policy-set-version', 200, ORG),
  row('DELETE', '/policy-sets/:fresh-policy-set', 204, ORG),
  row('GET', '/policy-sets/:policy-set/parameters', 200, ORG),
  row('POST', '/policy-sets/:policy-set/parameters', 201, ORG, {
    body: (f) => doc('vars', { key: `k_${f.fresh.name('p').replace(/-/g, '_')}`, value: 'v', category: 'policy-set' }),
  }),
  row('PATCH', '/policy-sets/:policy-set/parameters/:policy-set-parameter', 200, ORG, { body: () => doc('vars', { value: 'changed' }) }),
  row('DELETE', '/policy-sets/:policy-set/parameters/:fresh-policy-set-parameter', 204, ORG),
  // Individual policies (policies.mdx): "Manage Policies" too.
  row('GET', '/organizations/:org/policies', 200, ORG),
  row('POST', '/organizations/:org/policies', 201, ORG, {
    body: (f) => doc('policies', { name: f.fresh.name('pol'), kind: 'opa', query: 'data.matrix.allow' }),
  }),
  row('GET', '/policies/:policy', 200, ORG),
  row('PATCH', '/policies/:policy', 200, ORG, { body: () => doc('policies', { 'enforcement-level': 'mandatory' }) }),
  row('PUT', '/policies/:policy/upload', 200, ORG, { body: () => 'package matrix\n\nallow := true\n' }),
  row('GET', '/policies/:policy/download', 200, ORG),
  row('DELETE', '/policies/:fresh-policy', 204, ORG),
  // A run's policy evaluations are read with its task stages.
  row('GET', '/task-stages/:task-stage/policy-evaluations', 200, RUN_READERS),
  // Data retention policies (organizations.mdx, workspaces.mdx): owners set the organization's, workspace admins their workspace's.
  row('POST', '/organizations/:org/relationships/data-retention-policy', 201, OWNERS, { body: () => RETENTION_POLICY }),
  row('GET', '/organizations/:org/relationships/data-retention-policy', 200, IN_ORG),
  row('PATCH', '/organizations/:org/relationships/data-retention-policy', 200, OWNERS, { body: () => RETENTION_POLICY }),
  row('POST', '/workspaces/:workspace/relationships/data-retention-policy', 201, WS_ADMINS, { body: () => RETENTION_POLICY }),
  row('GET', '/workspaces/:workspace/relationships/data-retention-policy', 200, WORKSPACE_VIEWERS),
  row('PATCH', '/workspaces/:workspace/relationships/data-retention-policy', 200, WS_ADMINS, { body: () => RETENTION_POLICY }),
  row('DELETE', '/workspaces/:workspace/relationships/data-retention-policy', 204, WS_ADMINS),
  row('DELETE', '/organizations/:org/relationships/data-retention-policy', 204, OWNERS),
];

/** A policy that deletes nothing the matrix creates. */
const RETENTION_POLICY = { data: { type: 'data-retention-policy-delete-olders', attributes: { 'delete-older-than-n-days': 3650 } } };

/** Versions published by the matrix, each one new. */
let moduleVersions = 0;

/** The path placeholders: the fixture's resources, and `:fresh-…` ones created anew for every call that consumes one. */
const PLACEHOLDERS: Record<string, (f: Fixture) => string | Promise<string>> = {
  org: (f) => f.org,
  project: (f) => f.project,
  workspace: (f) => f.workspace.id,
  'workspace-name': (f) => f.workspace.name,
  team: (f) => f.team,
  membership: (f) => f.membership,
  varset: (f) => f.varset,
  pool: (f) => f.pool,
  agent: (f) => f.agent,
  'agent-token': (f) => f.agentTokenId,
  'fresh-pool': (f) => f.fresh.pool(),
  task: (f) => f.task,
  'workspace-task': (f) => f.workspaceTask,
  run: (f) => f.run.id,
  'task-stage': (f) => f.run.taskStageId,
  'task-result': (f) => f.run.taskResultId,
  'run-trigger': (f) => f.runTrigger,
  module: (f) => f.module,
  'fresh-module': (f) => f.fresh.module(),
  'fresh-provider': (f) => f.fresh.provider(),
  'fresh-run-trigger': (f) => f.fresh.runTrigger(),
  comment: (f) => f.comment,
  'fresh-task': (f) => f.fresh.task(),
  'notification-configuration': (f) => f.notificationConfiguration,
  'fresh-notification-configuration': (f) => f.fresh.notificationConfiguration(),
  'ssh-key': (f) => f.sshKey,
  'fresh-ssh-key': (f) => f.fresh.sshKey(),
  'policy-set': (f) => f.policySet,
  'policy-set-version': (f) => f.policySetVersion,
  'fresh-policy-set': (f) => f.fresh.policySet(),
  'policy-set-parameter': (f) => f.policySetParameter,
  'fresh-policy-set-parameter': (f) => f.fresh.policySetParameter(),
  policy: (f) => f.policy,
  'fresh-policy': (f) => f.fresh.policy(),
  'fresh-reserved-tag-key': (f) => f.fresh.reservedTagKey(),
  'fresh-workspace-task': (f) => f.fresh.workspaceTask(),
  'fresh-agent': (f) => f.fresh.agent(),
  'fresh-agent-token': (f) => f.fresh.agentToken(),
  'fresh-team': (f) => f.fresh.team(),
  'fresh-membership': (f) => f.fresh.membership(),
  'fresh-workspace': (f) => f.fresh.workspace(),
  'fresh-project': (f) => f.fresh.project(),
};

async function resolvePath(template: string, f: Fixture): Promise<string> {
  let path = template;
  for (const [, name] of template.matchAll(/:([a-z-]+)/g)) {
    const resolve = PLACEHOLDERS[name as string];
    assert.ok(resolve, `unknown placeholder :${name}`);
    path = path.replace(`:${name}`, await resolve(f));
  }
  return path;
}

function expected(r: Row, subject: Subject): number {
  if (subject === 'bad') return 401;
  return r.also?.[subject] ?? (r.allowed.split(' ').includes(subject) ? r.status : 404);
}

/** An organization with a project, a workspace in it, a team at each access level and a member of each. */
async function buildWorld(server: TestServer): Promise<{ fixture: Fixture; tokens: Record<Subject, string>; stop: () => Promise<void> }> {
  const w = new TeamWorld(server);
  await w.setUp();
  const project = await w.createProject();
  const workspace = await w.createWorkspace(project);
  const tokens: Partial<Record<Subject, string>> = {
    owner: w.ownerToken,
    admin: server.adminToken,
    ownersToken: await w.teamToken(w.ownersTeamId),
    orgToken: w.orgToken,
    member: (await w.member()).token,
    stranger: w.strangerToken,
    bad: 'not-a-token',
  };
  for (const [subject, attributes] of Object.entries(WORKSPACE_LEVELS)) {
    const team = await w.createTeam();
    await w.grantWorkspace(team.id, workspace.id, attributes);
    tokens[subject as Subject] = (await w.member([team.id])).token;
    if (subject === 'wsWrite') tokens.teamToken = await w.teamToken(team.id);
  }
  for (const [subject, attributes] of Object.entries(PROJECT_LEVELS)) {
    const team = await w.createTeam();
    await w.grantProject(team.id, project, attributes);
    tokens[subject as Subject] = (await w.member([team.id])).token;
  }
  const team = (await w.createTeam({ visibility: 'organization' })).id;
  await w.teamToken(team);
  const poolManagers = await w.createTeam({ 'organization-access': { 'manage-agent-pools': true } });
  tokens.poolManager = (await w.member([poolManagers.id])).token;
  const createPool = async (): Promise<string> => {
    const res = await w.api('POST', `/organizations/${w.org}/agent-pools`, w.ownerToken, doc('agent-pools', { name: unique('pool') }));
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const createAgentToken = async (poolId: string): Promise<{ id: string; secret: string }> => {
    const res = await w.api('POST', `/agent-pools/${poolId}/authentication-tokens`, w.ownerToken, doc('authentication-tokens', { description: unique('d') }));
    assert.equal(res.status, 201, res.text);
    return { id: res.body.data.id, secret: res.body.data.attributes.token };
  };
  const pool = await createPool();
  const createAgent = async (status: string): Promise<string> => {
    const id = newId('agent');
    await server.database.db.insertInto('agents').values({ id, agent_pool_id: pool, name: id, status }).execute();
    return id;
  };
  const agentToken = await createAgentToken(pool);
  tokens.agentToken = agentToken.secret;
  const varset = await w.api('POST', `/organizations/${w.org}/varsets`, w.ownerToken, doc('varsets', { name: unique('vs') }));
  assert.equal(varset.status, 201, varset.text);
  const invite = async (): Promise<string> => {
    const user = await server.createUser();
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/organization-memberships`,
      w.ownerToken,
      doc('organization-memberships', { email: `${user.username}@example.com` }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const taskService = new TaskService(server);
  await taskService.start();
  const createTask = async (): Promise<string> => {
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/tasks`,
      w.ownerToken,
      doc('tasks', { name: unique('task'), url: taskService.url, category: 'task' }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const associateTask = async (): Promise<string> => {
    const res = await w.api(
      'POST',
      `/workspaces/${workspace.id}/tasks`,
      w.ownerToken,
      doc('workspace-tasks', { 'enforcement-level': 'advisory' }, { task: link('tasks', await createTask()) }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const workspaceTask = await associateTask();
  const receiver = new WebhookReceiver();
  await receiver.start();
  const createNotificationConfiguration = async (): Promise<string> => {
    const res = await w.api(
      'POST',
      `/workspaces/${workspace.id}/notification-configurations`,
      w.ownerToken,
      doc('notification-configurations', { 'destination-type': 'generic', name: unique('nc'), url: receiver.url }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const createRun = async (): Promise<Fixture['run']> => {
    const versionId = newId('cv');
    const versions = server.database.db;
    await configurationVersionStore.insert(versions, {
      id: versionId,
      workspaceId: workspace.id,
      source: 'tfe-api',
      autoQueueRuns: false,
      speculative: true,
      provisional: false,
      createdAt: new Date(),
    });
    await configurationVersionStore.markUploaded(versions, versionId, { key: `test/${versionId}.tar.gz`, size: 1 }, new Date());
    const res = await w.api('POST', '/runs', w.ownerToken, {
      data: {
        type: 'runs',
        attributes: { 'plan-only': true },
        relationships: { workspace: link('workspaces', workspace.id), 'configuration-version': link('configuration-versions', versionId) },
      },
    });
    assert.equal(res.status, 201, res.text);
    const taskStageId = res.body.data.relationships['task-stages'].data[0].id;
    const stage = await w.api('GET', `/task-stages/${taskStageId}`, w.ownerToken);
    return { id: res.body.data.id, taskStageId, taskResultId: stage.body.data.relationships['task-results'].data[0].id };
  };
  const createRunTrigger = async (): Promise<string> => {
    const source = await w.createWorkspace(project);
    const res = await w.api('POST', `/workspaces/${workspace.id}/run-triggers`, w.ownerToken, {
      data: { type: 'run-triggers', relationships: { sourceable: link('workspaces', source.id) } },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const createModule = async (): Promise<string> => {
    const name = unique('mod');
    const res = await w.api('POST', `/organizations/${w.org}/registry-modules`, w.ownerToken, doc('registry-modules', { name, provider: 'null' }));
    assert.equal(res.status, 201, res.text);
    return name;
  };
  /** A provider named like `name` (the fixture's module name serves as the fixture provider's). */
  const createProvider = async (name = unique('prov')): Promise<string> => {
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/registry-providers`,
      w.ownerToken,
      doc('registry-providers', { name, 'registry-name': 'private' }),
    );
    assert.equal(res.status, 201, res.text);
    return name;
  };
  const run = await createRun();
  const comment = await w.api('POST', `/runs/${run.id}/comments`, w.ownerToken, doc('comments', { body: 'first' }));
  assert.equal(comment.status, 201, comment.text);
  const fixtureNotificationConfiguration = await createNotificationConfiguration();
  /** A fresh one, after removing the others the rows created: a workspace has at most 20. */
  const freshNotificationConfiguration = async (): Promise<string> => {
    const listed = await w.api('GET', `/workspaces/${workspace.id}/notification-configurations?page%5Bsize%5D=100`, w.ownerToken);
    for (const { id } of listed.body.data as { id: string }[]) {
      if (id !== fixtureNotificationConfiguration) await w.api('DELETE', `/notification-configurations/${id}`, w.ownerToken);
    }
    return createNotificationConfiguration();
  };
  const createSshKey = async (): Promise<string> => {
    const res = await w.api('POST', `/organizations/${w.org}/ssh-keys`, w.ownerToken, doc('ssh-keys', { name: unique('key'), value: 'private key text' }));
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const createPolicySet = async (): Promise<string> => {
    const res = await w.api('POST', `/organizations/${w.org}/policy-sets`, w.ownerToken, doc('policy-sets', { name: unique('pols'), kind: 'opa' }));
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const policySet = await createPolicySet();
  const policySetVersion = await w.api('POST', `/policy-sets/${policySet}/versions`, w.ownerToken);
  assert.equal(policySetVersion.status, 201, policySetVersion.text);
  const createPolicy = async (): Promise<string> => {
    const res = await w.api(
      'POST',
      `/organizations/${w.org}/policies`,
      w.ownerToken,
      doc('policies', { name: unique('pol'), kind: 'opa', query: 'data.matrix.allow' }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const createPolicySetParameter = async (): Promise<string> => {
    const res = await w.api(
      'POST',
      `/policy-sets/${policySet}/parameters`,
      w.ownerToken,
      doc('vars', { key: `k_${unique('p').replace(/-/g, '_')}`, category: 'policy-set' }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id;
  };
  const fixture: Fixture = {
    org: w.org,
    project,
    workspace,
    team,
    membership: await invite(),
    varset: varset.body.data.id,
    pool,
    agent: await createAgent('idle'),
    agentTokenId: agentToken.id,
    task: await createTask(),
    workspaceTask,
    taskUrl: taskService.url,
    run,
    runTrigger: await createRunTrigger(),
    comment: comment.body.data.id,
    module: await createProvider(await createModule()),
    notificationUrl: receiver.url,
    notificationConfiguration: fixtureNotificationConfiguration,
    sshKey: await createSshKey(),
    policySet,
    policySetVersion: policySetVersion.body.data.id,
    policySetParameter: await createPolicySetParameter(),
    policy: await createPolicy(),
    fresh: {
      name: unique,
      team: async () => (await w.createTeam({ visibility: 'organization' })).id,
      user: () => server.createUser(),
      member: () => w.member(),
      membership: invite,
      workspace: async () => (await w.createWorkspace(project)).id,
      project: () => w.createProject(),
      pool: createPool,
      agent: () => createAgent('exited'),
      agentToken: async () => (await createAgentToken(pool)).id,
      task: createTask,
      reservedTagKey: async () => {
        const res = await w.api('POST', `/organizations/${w.org}/reserved-tag-keys`, w.ownerToken, doc('reserved-tag-keys', { key: unique('key') }));
        assert.equal(res.status, 201, res.text);
        return res.body.data.id;
      },
      workspaceTask: associateTask,
      runTrigger: createRunTrigger,
      module: createModule,
      provider: () => createProvider(),
      notificationConfiguration: freshNotificationConfiguration,
      sshKey: createSshKey,
      policySet: createPolicySet,
      policySetParameter: createPolicySetParameter,
      policy: createPolicy,
    },
    asOwner: (method, path, body) => w.api(method, path, w.ownerToken, body),
  };
  return {
    fixture,
    tokens: tokens as Record<Subject, string>,
    stop: async () => {
      await taskService.stop();
      await receiver.stop();
    },
  };
}

forEachDatabase('permission matrix', (server) => {
  let world: Awaited<ReturnType<typeof buildWorld>>;
  before(async () => {
    world = await buildWorld(server);
  });
  after(() => world.stop());

  for (const r of MATRIX) {
    it(`${r.method} ${r.path}`, async () => {
      const { fixture: f, tokens } = world;
      const actual: Partial<Record<Subject, number>> = {};
      const wanted: Partial<Record<Subject, number>> = {};
      for (const subject of SUBJECTS) {
        await r.before?.(f);
        const res = await server.api(r.method, `/api/v2${await resolvePath(r.path, f)}`, { token: tokens[subject], body: await r.body?.(f) });
        await r.after?.(f);
        actual[subject] = res.status;
        wanted[subject] = expected(r, subject);
      }
      assert.deepEqual(actual, wanted);
    });
  }
});
