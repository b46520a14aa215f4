import { WORKSPACE_ACCESS_LEVELS } from '../auth/access-levels.js';
import type { NotificationConfiguration } from '../notification-configurations/service.js';
import type { RunTrigger } from '../run-triggers/service.js';
import type { OutputView } from '../state-version-outputs/service.js';
import type { StateVersion } from '../state-versions/service.js';
import type { TeamWorkspace } from '../team-workspace-access/service.js';
import type { WorkspaceView } from '../workspaces/service.js';
import { formatTime, type PageUser, TableHead, PostForm } from './components.js';
import { CheckboxField, choicesOf, FormError, InputField, SelectField } from './form-fields.js';
import { workspacePath, workspaceSettingsPath } from './paths.js';
import { ActionButton, SettingsLayout } from './workspace-settings-pages.js';

/** A team's access row with the team's name. */
export interface TeamAccessRow {
  access: TeamWorkspace;
  teamName: string;
}

export function TeamAccessPage({
  user,
  view,
  rows,
  addable,
}: {
  user: PageUser;
  view: WorkspaceView;
  rows: TeamAccessRow[];
  /** Teams without access yet, for who may manage access; empty otherwise. */
  addable: { id: string; name: string }[];
}): JSX.Element {
  const { workspace } = view;
  const base = workspaceSettingsPath(workspace.organizationName, workspace.name, 'team-access');
  const mayManage = view.allowed.has('workspace:manage-team-access');
  return (
    <SettingsLayout user={user} view={view} tab="team-access">
      {rows.length === 0 ? (
        <p>No team has access to this workspace of its own.</p>
      ) : (
        <table>
          <TableHead columns={['Team', 'Access', mayManage && 'Actions']} />
          <tbody>
            {rows.map(({ access, teamName }) => (
              <tr>
                <td safe>{teamName}</td>
                <td>
                  {mayManage ? (
                    <PostForm csrfToken={user.csrfToken} action={`${base}/${encodeURIComponent(access.id)}`} class="search">
                      <SelectField
                        label={`Access of ${teamName}`}
                        hideLabel
                        id={`access-${access.id}`}
                        name="access"
                        choices={accessChoices(access.access)}
                        selected={access.access}
                      />
                      <button type="submit">Change</button>
                    </PostForm>
                  ) : (
                    <span>{access.access}</span>
                  )}
                </td>
                {mayManage ? (
                  <td>
                    <ActionButton user={user} action={`${base}/${encodeURIComponent(access.id)}/delete`} label="Remove" danger />
                  </td>
                ) : (
                  ''
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayManage && addable.length > 0 ? (
        <PostForm csrfToken={user.csrfToken} action={base} class="search" aria-label="Add team access">
          <SelectField label="Team" id="team" name="team" choices={addable.map((team) => ({ value: team.id, label: team.name }))} />
          <SelectField label="Access" id="access" name="access" choices={accessChoices('read')} selected="read" />
          <button type="submit">Add team</button>
        </PostForm>
      ) : (
        ''
      )}
    </SettingsLayout>
  );
}

/** The fixed levels; `custom` only shown for a row that has it (its permissions are set through the API). */
function accessChoices(current: string) {
  return choicesOf(WORKSPACE_ACCESS_LEVELS.filter((level) => level !== 'custom' || current === 'custom'));
}

/** A state version with its creator's name and, once its content is there, its signed download address. */
export interface StateVersionRow {
  version: StateVersion;
  creator: string;
  downloadUrl: string | null;
}

function outputValue(output: OutputView): string {
  return output.sensitive ? 'sensitive' : JSON.stringify(output.value);
}

export function StateVersionsPage({
  user,
  view,
  rows,
  outputs,
}: {
  user: PageUser;
  view: WorkspaceView;
  rows: StateVersionRow[];
  /** The current state's outputs; undefined while they are processed or without a state. */
  outputs: OutputView[] | undefined;
}): JSX.Element {
  const current = view.workspace.currentStateVersionId;
  return (
    <SettingsLayout user={user} view={view} tab="state-versions">
      {rows.length === 0 ? (
        <p>No state yet.</p>
      ) : (
        <table>
          <TableHead columns={['Serial', 'Created', 'Created by', 'Status', 'Download']} />
          <tbody>
            {rows.map(({ version, creator, downloadUrl }) => (
              <tr id={version.id}>
                <td>
                  {version.serial}
                  {version.id === current ? <span class="badge badge-done">current</span> : ''}
                </td>
                <td safe>{formatTime(version.createdAt)}</td>
                <td safe>{creator}</td>
                <td>{version.status}</td>
                <td>
                  {downloadUrl ? (
                    <a href={downloadUrl} download={`${version.id}.tfstate`} hx-boost="false" safe>
                      {`${version.id}.tfstate`}
                    </a>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Outputs</h2>
      {outputs === undefined ? (
        <p>No outputs to show yet.</p>
      ) : outputs.length === 0 ? (
        <p>The current state has no outputs.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Value']} />
          <tbody>
            {outputs.map((output) => (
              <tr>
                <td>
                  <code safe>{output.name}</code>
                </td>
                <td>{output.sensitive ? <span class="muted">Sensitive — hidden</span> : <code safe>{outputValue(output)}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </SettingsLayout>
  );
}

/** The run events a workspace's notification can name (notification-configurations.mdx "Notification Triggers"). */
const RUN_TRIGGERS = ['run:created', 'run:planning', 'run:needs_attention', 'run:applying', 'run:completed', 'run:errored'];

/** The destination's answer to the latest delivery: its status code and when. */
function lastDelivery(configuration: NotificationConfiguration): string {
  const [latest] = configuration.deliveryResponses;
  return latest ? `${latest.code} at ${latest['sent-at']}` : '';
}

export interface NotificationValues {
  name: string;
  destinationType: string;
  url: string;
  enabled: boolean;
  triggers: string[];
  emailAddresses: string;
}

export const EMPTY_NOTIFICATION: NotificationValues = { name: '', destinationType: 'generic', url: '', enabled: false, triggers: [], emailAddresses: '' };

export function NotificationsPage({
  user,
  view,
  configurations,
  values = EMPTY_NOTIFICATION,
  error,
}: {
  user: PageUser;
  view: WorkspaceView;
  configurations: NotificationConfiguration[];
  values?: NotificationValues;
  error?: string;
}): JSX.Element {
  const { workspace } = view;
  const base = workspaceSettingsPath(workspace.organizationName, workspace.name, 'notifications');
  return (
    <SettingsLayout user={user} view={view} tab="notifications">
      {configurations.length === 0 ? (
        <p>No notifications.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Destination', 'Triggers', 'Last delivery', 'Actions']} />
          <tbody>
            {configurations.map((configuration) => (
              <tr>
                <td>
                  <span safe>{configuration.name}</span>
                  <span class={`badge ${configuration.enabled ? 'badge-done' : 'badge-idle'}`}>{configuration.enabled ? 'enabled' : 'disabled'}</span>
                </td>
                <td safe>{`${configuration.destinationType} ${configuration.url ?? configuration.emailAddresses.join(', ')}`}</td>
                <td safe>{configuration.triggers.join(', ')}</td>
                <td safe>{lastDelivery(configuration)}</td>
                <td>
                  <ActionButton user={user} action={`${base}/${encodeURIComponent(configuration.id)}/verify`} label="Verify" />{' '}
                  <ActionButton user={user} action={`${base}/${encodeURIComponent(configuration.id)}/delete`} label="Delete" danger />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section aria-labelledby="add-notification">
        <h2 id="add-notification">Add a notification</h2>
        <PostForm csrfToken={user.csrfToken} action={base} class="stacked narrow">
          <FormError message={error} />
          <InputField label="Name" id="notification-name" name="name" value={values.name} required />
          <SelectField
            label="Destination"
            id="destination-type"
            name="destination-type"
            choices={choicesOf(['generic', 'slack', 'microsoft-teams', 'email'])}
            selected={values.destinationType}
          />
          <InputField label="URL (webhooks)" id="notification-url" name="url" value={values.url} />
          <InputField label="Token (generic webhooks; write-only)" type="password" id="notification-token" name="token" autocomplete="off" />
          <InputField label="Email addresses, comma-separated (email)" id="email-addresses" name="email-addresses" value={values.emailAddresses} />
          <fieldset>
            <legend>Triggers</legend>
            {RUN_TRIGGERS.map((trigger) => (
              <CheckboxField name="triggers" value={trigger} checked={values.triggers.includes(trigger)}>
                <span safe>{trigger}</span>
              </CheckboxField>
            ))}
          </fieldset>
          <CheckboxField name="enabled" checked={values.enabled}>
            Enabled (a webhook is verified first)
          </CheckboxField>
          <button type="submit" class="primary">
            Add notification
          </button>
        </PostForm>
      </section>
    </SettingsLayout>
  );
}

export function RunTriggersPage({
  user,
  view,
  triggers,
  sources,
  error,
}: {
  user: PageUser;
  view: WorkspaceView;
  triggers: RunTrigger[];
  /** Workspaces that could become sources, for who may change the triggers; empty otherwise. */
  sources: { id: string; name: string }[];
  error?: string;
}): JSX.Element {
  const { workspace } = view;
  const org = workspace.organizationName;
  const base = workspaceSettingsPath(org, workspace.name, 'run-triggers');
  const mayManage = view.allowed.has('workspace:update');
  return (
    <SettingsLayout user={user} view={view} tab="run-triggers">
      <p>A successful apply in a source workspace queues a run in this one.</p>
      {triggers.length === 0 ? (
        <p>No source workspaces.</p>
      ) : (
        <table>
          <TableHead columns={['Source workspace', 'Connected', mayManage && 'Actions']} />
          <tbody>
            {triggers.map((trigger) => (
              <tr>
                <td>
                  <a href={workspacePath(org, trigger.sourceableName)} safe>
                    {trigger.sourceableName}
                  </a>
                </td>
                <td safe>{formatTime(trigger.createdAt)}</td>
                {mayManage ? (
                  <td>
                    <ActionButton user={user} action={`${base}/${encodeURIComponent(trigger.id)}/delete`} label="Remove" danger />
                  </td>
                ) : (
                  ''
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayManage && sources.length > 0 ? (
        <PostForm csrfToken={user.csrfToken} action={base} class="search" aria-label="Add a source workspace">
          <FormError message={error} />
          <SelectField label="Source workspace" id="source" name="source" choices={sources.map((source) => ({ value: source.id, label: source.name }))} />
          <button type="submit">Add source</button>
        </PostForm>
      ) : (
        <FormError message={error} />
      )}
    </SettingsLayout>
  );
}
