import assert from 'node:assert/strict';
import { unique } from '../../test/fixtures.js';
import type { ApiResponse } from '../../test/harness.js';
import { WORKSPACE_LEVEL_PERMISSIONS, type WorkspaceAccessLevel } from '../auth/access-levels.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import { isRunId, newId, type RunId, type WorkspaceId } from '../ids.js';
import * as teamWorkspaceStore from '../team-workspace-access/store.js';
import * as teamStore from '../teams/store.js';
import { WorkspaceWorld } from '../workspaces/testing.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { Uploader } from '../configuration-versions/testing.js';
import { AgentClient } from '../agent/client.js';
import type { Job } from '../agent/protocol.js';
import * as runnerService from './runner-service.js';

/** Shared by the run test files: an organization with workspaces, uploaded configuration versions, runs, and a runner driven by hand. */

export const NO_CHANGES = { additions: 0, changes: 0, destructions: 0, imports: 0 };
export const ONE_ADDED = { additions: 1, changes: 0, destructions: 0, imports: 0 };

export function runBody(workspaceId: string, attributes: Record<string, unknown> = {}, configurationVersionId?: string) {
  return {
    data: {
      type: 'runs',
      attributes,
      relationships: {
        workspace: { data: { type: 'workspaces', id: workspaceId } },
        ...(configurationVersionId ? { 'configuration-version': { data: { type: 'configuration-versions', id: configurationVersionId } } } : {}),
      },
    },
  };
}

export class RunWorld extends WorkspaceWorld {
  /** A configuration version inserted as uploaded (uploads belong to the configuration versions tests); current unless speculative or provisional. */
  async uploadedVersion(workspaceId: WorkspaceId, options: { speculative?: boolean; provisional?: boolean; autoQueueRuns?: boolean } = {}): Promise<string> {
    const db = this.server.database.db;
    const id = newId('cv');
    const speculative = options.speculative ?? false;
    const provisional = options.provisional ?? false;
    await configurationVersionStore.insert(db, {
      id,
      workspaceId,
      source: 'tfe-api',
      autoQueueRuns: options.autoQueueRuns ?? false,
      speculative,
      provisional,
      createdAt: new Date(),
    });
    await configurationVersionStore.markUploaded(db, id, { key: `test/${id}.tar.gz`, size: 1 }, new Date());
    if (!speculative && !provisional) await configurationVersionStore.makeCurrent(db, workspaceId, id);
    return id;
  }

  /** A workspace with an uploaded configuration version. */
  async workspaceWithConfiguration(attributes: Record<string, unknown> = {}) {
    const ws = await this.createWorkspace(attributes);
    await this.uploadedVersion(ws.id);
    return ws;
  }

  /** Creates a run as `token` (the owner by default) and returns its resource object. */
  async createRun(workspaceId: string, attributes: Record<string, unknown> = {}, token = this.ownerToken) {
    const res = await this.api('POST', '/runs', token, runBody(workspaceId, attributes));
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  async run(id: string, token = this.ownerToken) {
    const res = await this.api('GET', `/runs/${id}`, token);
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  }

  async status(id: string): Promise<string> {
    return (await this.run(id)).attributes.status;
  }

  action(id: string, name: string, token = this.ownerToken, body?: unknown): Promise<ApiResponse> {
    return this.api('POST', `/runs/${id}/actions/${name}`, token, body);
  }

  /** A team token with `level` access on the workspace (team-access.mdx), with that level's permissions unless given. */
  async teamToken(workspaceId: string, level: WorkspaceAccessLevel, permissions = WORKSPACE_LEVEL_PERMISSIONS[level]): Promise<string> {
    const db = this.server.database.db;
    const teamId = newId('team');
    await teamStore.insert(db, {
      id: teamId,
      organizationId: this.orgId,
      now: new Date(),
      name: unique('team'),
      visibility: 'organization',
      ssoTeamId: null,
      allowMemberTokenManagement: true,
      organizationAccess: {},
    });
    await teamWorkspaceStore.insert(db, { id: newId('tws'), teamId, workspaceId, access: level, permissions });
    return this.insertToken({ kind: 'team', teamId });
  }

  runner() {
    return this.server.adminCtx();
  }

  /** Claims runs until it gets `runId`, erroring the others it takes on the way (left over by earlier tests). */
  async claim(runId: string): Promise<runnerService.Claim> {
    for (;;) {
      const claim = await runnerService.claimNext(this.runner(), 1000);
      assert.ok(claim, `run ${runId} was not claimable`);
      if (claim.run.id === runId) return claim;
      await runnerService.failPhase(this.runner(), claim.run.id, 'cleared by a later test');
    }
  }

  private agent: { token: string; id: string } | undefined;

  /** A client of the agent protocol trusting the test server. */
  agentClient(): AgentClient {
    return new AgentClient(this.server.url, readFileSync(this.server.caFile, 'utf8'), () => {});
  }

  /** A registered agent of the built-in runner (no pool), for driving the agent protocol by hand. */
  async builtInAgent(): Promise<{ token: string; id: string }> {
    if (!this.agent) {
      const token = await this.insertToken({ kind: 'agent', agentPoolId: null });
      const res = await this.server.api('POST', '/api/agent/v1/register', {
        token,
        body: { name: 'test agent' },
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 200, res.text);
      this.agent = { token, id: res.body.agentId };
    }
    return this.agent;
  }

  /** The agent of builtInAgent() exited: the next call registers another. */
  forgetAgent(): void {
    this.agent = undefined;
  }

  /** Claims jobs through the agent protocol until it gets `runId`'s, failing the others (left over by earlier tests). */
  async claimJob(runId: string): Promise<Job> {
    const agent = await this.builtInAgent();
    for (;;) {
      const res = await this.server.api('POST', `/api/agent/v1/agents/${agent.id}/jobs/next?wait=0`, { token: agent.token });
      assert.equal(res.status, 200, `run ${runId} was not claimable: ${res.status} ${res.text}`);
      const job = res.body as Job;
      if (job.runId === runId) return job;
      assert.ok(isRunId(job.runId), `job of ${job.runId}`);
      await runnerService.failPhase(this.runner(), job.runId, 'cleared by a later test');
    }
  }

  /** Uploads `files` through the API as a new configuration version of the workspace; returns its id. */
  async uploadConfiguration(workspaceId: string, files: Record<string, string>): Promise<string> {
    const version = await this.api('POST', `/workspaces/${workspaceId}/configuration-versions`, this.ownerToken, {
      data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
    });
    assert.equal(version.status, 201, version.text);
    const dir = mkdtempSync(join(tmpdir(), 'terrace-config-'));
    const archive: Buffer[] = [];
    try {
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true }, Object.keys(files))) archive.push(chunk as Buffer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const uploader = new Uploader(this.server);
    const uploaded = await uploader.put(version.body.data.attributes['upload-url'], Buffer.concat(archive));
    await uploader.close();
    assert.equal(uploaded.status, 200, uploaded.text);
    return version.body.data.id;
  }

  /** Polls the run until its status is one of `statuses`. */
  async waitForStatus(runId: string, statuses: readonly string[], timeoutMs = 120_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.run(runId);
      if (statuses.includes(run.attributes.status)) return run;
      if (Date.now() > deadline) assert.fail(`run ${runId} is ${run.attributes.status}, not ${statuses.join(' or ')}, after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The complete log of the run's plan or apply (after the phase ended), read page by page as the CLI does, without its framing. */
  async phaseLog(runId: string, phase: 'plan' | 'apply'): Promise<string> {
    const path = await this.logPath(runId, phase);
    let framed = '';
    while (!framed.endsWith('\u0003')) framed += await this.readLog(path, Buffer.byteLength(framed));
    return framed.slice(framed.startsWith('\u0002') ? 1 : 0, -1);
  }

  /** What the run's plan or apply has logged so far, in one read: the phase may still be running. */
  async phaseLogSoFar(runId: string, phase: 'plan' | 'apply'): Promise<string> {
    return this.readLog(await this.logPath(runId, phase), 0);
  }

  private async logPath(runId: string, phase: 'plan' | 'apply'): Promise<string> {
    const record = (await this.api('GET', `/runs/${runId}/${phase}`, this.ownerToken)).body.data;
    return new URL(record.attributes['log-read-url']).pathname;
  }

  private async readLog(path: string, offset: number): Promise<string> {
    const res = await this.server.api('GET', `${path}?limit=1048576&offset=${offset}`);
    assert.equal(res.status, 200, res.text);
    return res.text;
  }

  /** Errors every queued run, so that a test sees only its own queue. */
  async drainRunnerQueue(): Promise<void> {
    for (;;) {
      const claim = await runnerService.claimNext(this.runner(), 1000);
      if (!claim) return;
      await runnerService.failPhase(this.runner(), claim.run.id, 'cleared by a later test');
    }
  }

  /** Claims the run's plan and finishes it. */
  async plan(runId: RunId, result: runnerService.PlanResult = { hasChanges: true, counts: ONE_ADDED }) {
    await this.claim(runId);
    return runnerService.finishPlan(this.runner(), runId, result);
  }

  /** Claims the run's apply and finishes it. */
  async applyPhase(runId: RunId) {
    await this.claim(runId);
    return runnerService.finishApply(this.runner(), runId, { counts: ONE_ADDED });
  }
}
