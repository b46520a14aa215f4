import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRunId, isWorkspaceId, newId, type RunId, type WorkspaceId } from './ids.js';

describe('typed ids', () => {
  it('tells a workspace id from a run id by its prefix', () => {
    assert.ok(isWorkspaceId(newId('ws')));
    assert.ok(isRunId(newId('run')));
    for (const other of ['run-abc', 'ws', 'wsx-abc', '', 'WS-abc']) assert.ok(!isWorkspaceId(other), other);
    for (const other of ['ws-abc', 'run', 'trun-abc', '']) assert.ok(!isRunId(other), other);
  });

  it('keeps the kinds apart in the type check', () => {
    const workspaceId: WorkspaceId = newId('ws');
    const runId: RunId = newId('run');
    // @ts-expect-error a run's id is not a workspace's
    const wrongWorkspace: WorkspaceId = runId;
    // @ts-expect-error nor is an unchecked string
    const unchecked: RunId = String(workspaceId);
    assert.notEqual(wrongWorkspace, unchecked);
  });
});
