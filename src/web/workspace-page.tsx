import type { RunView } from '../runs/service.js';
import type { WorkspaceView } from '../workspaces/service.js';
import { Layout, type PageUser } from './components.js';
import { RunTable, workspaceCrumbs } from './list-pages.js';
import { workspacePath, workspaceSettingsPath } from './paths.js';
import { LockControls } from './workspace-settings-pages.js';

/** The workspace's overview: its latest run, whether it is locked, how many resources its state holds. */
export function WorkspacePage({
  user,
  view,
  latestRun,
  lockedByViewer,
}: {
  user: PageUser;
  view: WorkspaceView;
  latestRun: RunView | undefined;
  lockedByViewer: boolean;
}): JSX.Element {
  const { workspace } = view;
  const org = workspace.organizationName;
  return (
    <Layout title={workspace.name} user={user} crumbs={workspaceCrumbs(org, workspace.name).slice(0, 1)}>
      {workspace.description ? (
        <p class="muted" safe>
          {workspace.description}
        </p>
      ) : (
        ''
      )}
      <dl class="facts">
        <dt>Resources</dt>
        <dd id="resource-count">{workspace.resourceCount}</dd>
        <dt>Lock</dt>
        <dd id="lock-state">
          {workspace.lockedBy ? (
            <>
              <span class="badge badge-idle">Locked</span>{' '}
              <span
                safe
              >{`by ${workspace.lockedBy.kind.replace(/s$/, '')} ${workspace.lockedBy.id}${workspace.lockReason ? `: ${workspace.lockReason}` : ''}`}</span>
            </>
          ) : (
            'Unlocked'
          )}
        </dd>
        <dt>Latest state</dt>
        <dd id="latest-state">
          {workspace.currentStateVersionId && view.allowed.has('workspace:read-state') ? (
            <a href={`${workspaceSettingsPath(org, workspace.name, 'state-versions')}#${workspace.currentStateVersionId}`} safe>
              {workspace.currentStateVersionId}
            </a>
          ) : workspace.currentStateVersionId ? (
            <span safe>{workspace.currentStateVersionId}</span>
          ) : (
            'None yet'
          )}
        </dd>
        <dt>Execution mode</dt>
        <dd safe>{workspace.executionMode ?? String(view.settings['default-execution-mode'])}</dd>
        <dt>Terraform version</dt>
        <dd safe>{workspace.terraformVersion}</dd>
        <dt>Auto apply</dt>
        <dd>{workspace.autoApply ? 'On' : 'Off'}</dd>
      </dl>
      <LockControls user={user} view={view} lockedByViewer={lockedByViewer} />
      <h2>Latest run</h2>
      {latestRun ? <RunTable org={org} workspace={workspace.name} runs={[latestRun]} /> : <p>No runs yet.</p>}
      <p class="actions">
        {view.allowed.has('workspace:read-runs') ? <a href={`${workspacePath(org, workspace.name)}/runs`}>All runs</a> : ''}
        <a href={workspaceSettingsPath(org, workspace.name)}>Settings</a>
      </p>
    </Layout>
  );
}
