import type { PropsWithChildren } from '@kitajs/html';
import type { Action } from '../auth/permissions.js';
import type { ProjectView } from '../projects/service.js';
import type { WorkspaceView } from '../workspaces/service.js';
import { Layout, type PageUser, PostForm } from './components.js';
import { CheckboxField, choicesOf, FormError, InputField, SelectField } from './form-fields.js';
import { workspaceCrumbs } from './list-pages.js';
import { workspacePath, workspaceSettingsPath, workspacesPath } from './paths.js';

/** The settings tabs, each shown to those who may open it (the others would get its 404). */
const TABS: { tab: string; label: string; needs: Action }[] = [
  { tab: '', label: 'General', needs: 'workspace:read' },
  { tab: 'variables', label: 'Variables', needs: 'workspace:read-variables' },
  { tab: 'variable-sets', label: 'Variable sets', needs: 'workspace:read-variables' },
  { tab: 'team-access', label: 'Team access', needs: 'workspace:read' },
  { tab: 'state-versions', label: 'State versions', needs: 'workspace:read-state' },
  { tab: 'notifications', label: 'Notifications', needs: 'workspace:update' },
  { tab: 'run-triggers', label: 'Run triggers', needs: 'workspace:read-runs' },
  { tab: 'delete', label: 'Delete', needs: 'workspace:delete' },
];

/** A one-button form posting to `action`; `danger` for what cannot be undone. */
export function ActionButton({ user, action, label, danger = false }: { user: PageUser; action: string; label: string; danger?: boolean }): JSX.Element {
  return (
    <PostForm csrfToken={user.csrfToken} action={action}>
      <button type="submit" class={danger ? 'danger' : undefined} safe>
        {label}
      </button>
    </PostForm>
  );
}

/** Every settings page: the workspace's crumbs, its tabs, then the tab. */
export function SettingsLayout({ user, view, tab, children }: PropsWithChildren<{ user: PageUser; view: WorkspaceView; tab: string }>): JSX.Element {
  const { workspace } = view;
  const org = workspace.organizationName;
  const current = TABS.find((t) => t.tab === tab)?.label ?? 'Settings';
  return (
    <Layout title={`${current} · ${workspace.name}`} user={user} crumbs={workspaceCrumbs(org, workspace.name)}>
      <nav class="tabs" aria-label="Workspace settings">
        {TABS.filter((t) => view.allowed.has(t.needs)).map((t) => (
          <a href={workspaceSettingsPath(org, workspace.name, t.tab)} aria-current={t.tab === tab ? 'page' : undefined} safe>
            {t.label}
          </a>
        ))}
      </nav>
      {children}
    </Layout>
  );
}

/** The general settings as a form shows and posts them. */
export interface GeneralValues {
  /** Empty: the organization's default. */
  executionMode: string;
  agentPoolId: string;
  autoApply: boolean;
  terraformVersion: string;
  workingDirectory: string;
  description: string;
}

export function generalValuesOf(view: WorkspaceView): GeneralValues {
  const { workspace } = view;
  return {
    executionMode: workspace.executionMode ?? '',
    agentPoolId: workspace.agentPoolId ?? '',
    autoApply: workspace.autoApply,
    terraformVersion: workspace.terraformVersion,
    workingDirectory: workspace.workingDirectory,
    description: workspace.description,
  };
}

function ExecutionModeSelect({ value, organizationDefault }: { value: string; organizationDefault: string }): JSX.Element {
  const choices = [{ value: '', label: `Organization default (${organizationDefault})` }, ...choicesOf(['remote', 'local', 'agent'])];
  return <SelectField label="Execution mode" id="execution-mode" name="execution-mode" choices={choices} selected={value} />;
}

export function GeneralPage({ user, view, values, error }: { user: PageUser; view: WorkspaceView; values: GeneralValues; error?: string }): JSX.Element {
  const { workspace } = view;
  const organizationDefault = String(view.settings['default-execution-mode']);
  if (!view.allowed.has('workspace:update')) {
    return (
      <SettingsLayout user={user} view={view} tab="">
        <dl class="facts">
          <dt>Execution mode</dt>
          <dd safe>{workspace.executionMode ?? `${organizationDefault} (organization default)`}</dd>
          <dt>Auto apply</dt>
          <dd>{workspace.autoApply ? 'On' : 'Off'}</dd>
          <dt>Terraform version</dt>
          <dd safe>{workspace.terraformVersion}</dd>
          <dt>Working directory</dt>
          <dd safe>{workspace.workingDirectory || '(root)'}</dd>
          <dt>Description</dt>
          <dd safe>{workspace.description}</dd>
        </dl>
      </SettingsLayout>
    );
  }
  return (
    <SettingsLayout user={user} view={view} tab="">
      <PostForm csrfToken={user.csrfToken} action={workspaceSettingsPath(workspace.organizationName, workspace.name)} class="stacked narrow">
        <FormError message={error} />
        <ExecutionModeSelect value={values.executionMode} organizationDefault={organizationDefault} />
        <InputField label="Agent pool ID" id="agent-pool-id" name="agent-pool-id" value={values.agentPoolId} aria-describedby="agent-pool-hint" />
        <p class="hint" id="agent-pool-hint">
          Only for the agent execution mode.
        </p>
        <CheckboxField name="auto-apply" checked={values.autoApply}>
          Auto apply
        </CheckboxField>
        <InputField label="Terraform version" id="terraform-version" name="terraform-version" value={values.terraformVersion} />
        <InputField label="Working directory" id="working-directory" name="working-directory" value={values.workingDirectory} />
        <label for="description">Description</label>
        <textarea id="description" name="description" safe>
          {values.description}
        </textarea>
        <button type="submit" class="primary">
          Save settings
        </button>
      </PostForm>
    </SettingsLayout>
  );
}

export function DeletePage({ user, view, error }: { user: PageUser; view: WorkspaceView; error?: string }): JSX.Element {
  const { workspace } = view;
  const mayForce = view.allowed.has('workspace:force-delete');
  return (
    <SettingsLayout user={user} view={view} tab="delete">
      <p>Safe delete removes the workspace only when it manages no resources and is not locked. Its runs, state versions and variables go with it.</p>
      {mayForce ? <p>Force delete removes it even when it still manages resources: they stay in your infrastructure, untracked.</p> : ''}
      <PostForm csrfToken={user.csrfToken} action={workspaceSettingsPath(workspace.organizationName, workspace.name, 'delete')} class="stacked narrow">
        <FormError message={error} />
        <InputField label="Type the workspace name to confirm" id="confirm" name="confirm" autocomplete="off" />
        <div class="actions">
          <button type="submit" name="mode" value="safe" class="danger">
            Safe delete
          </button>
          {mayForce ? (
            <button type="submit" name="mode" value="force" class="danger">
              Force delete
            </button>
          ) : (
            ''
          )}
        </div>
      </PostForm>
    </SettingsLayout>
  );
}

/** What the create form posted, shown again when it is refused. */
export interface NewWorkspaceValues {
  name: string;
  projectId: string;
  executionMode: string;
  autoApply: boolean;
}

/** The form on the workspaces list, for those who may create in at least one project. */
export function CreateWorkspaceForm({
  user,
  org,
  projects,
  values = { name: '', projectId: '', executionMode: '', autoApply: false },
  error,
}: {
  user: PageUser;
  org: string;
  projects: ProjectView[];
  values?: NewWorkspaceValues;
  error?: string;
}): JSX.Element {
  return (
    <section aria-labelledby="new-workspace">
      <h2 id="new-workspace">New workspace</h2>
      <PostForm csrfToken={user.csrfToken} action={workspacesPath(org)} class="stacked narrow">
        <FormError message={error} />
        <InputField label="Name" id="workspace-name" name="name" value={values.name} required />
        <SelectField
          label="Project"
          id="project"
          name="project"
          choices={projects.map(({ project }) => ({ value: project.id, label: project.name }))}
          selected={values.projectId}
        />
        <ExecutionModeSelect value={values.executionMode} organizationDefault={projects[0]?.defaultExecutionMode ?? 'remote'} />
        <CheckboxField name="auto-apply" checked={values.autoApply}>
          Auto apply
        </CheckboxField>
        <button type="submit" class="primary">
          Create workspace
        </button>
      </PostForm>
    </section>
  );
}

/** The create form alone, when a post was refused: the list page without the list. */
export function NewWorkspacePage(props: { user: PageUser; org: string; projects: ProjectView[]; values: NewWorkspaceValues; error: string }): JSX.Element {
  return (
    <Layout title="New workspace" user={props.user} crumbs={[{ label: props.org, href: workspacesPath(props.org) }]}>
      <CreateWorkspaceForm {...props} />
    </Layout>
  );
}

/**
 * The overview's lock controls: lock with a reason, unlock one's own lock, force-unlock anyone's for
 * those allowed (the lock service decides; these only hide what would be refused).
 */
export function LockControls({ user, view, lockedByViewer }: { user: PageUser; view: WorkspaceView; lockedByViewer: boolean }): JSX.Element {
  const { workspace, allowed } = view;
  const base = workspacePath(workspace.organizationName, workspace.name);
  if (!workspace.lockedBy) {
    if (!allowed.has('workspace:lock')) return '';
    return (
      <PostForm csrfToken={user.csrfToken} action={`${base}/lock`} class="search" aria-label="Lock the workspace">
        <InputField label="Reason" id="lock-reason" name="reason" />
        <button type="submit">Lock</button>
      </PostForm>
    );
  }
  return (
    <div class="actions">
      {lockedByViewer && allowed.has('workspace:unlock') ? <ActionButton user={user} action={`${base}/unlock`} label="Unlock" /> : ''}
      {!lockedByViewer && allowed.has('workspace:force-unlock') ? <ActionButton user={user} action={`${base}/force-unlock`} label="Force unlock" danger /> : ''}
    </div>
  );
}
