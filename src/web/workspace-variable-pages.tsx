import type { VariableSetView } from '../variable-sets/service.js';
import type { Variable } from '../variables/service.js';
import type { WorkspaceView } from '../workspaces/service.js';
import { type PageUser, TableHead, PostForm } from './components.js';
import { CheckboxField, FormError, InputField, SelectField } from './form-fields.js';
import { workspaceSettingsPath } from './paths.js';
import { ActionButton, SettingsLayout } from './workspace-settings-pages.js';

/** A variable as its form shows and posts it; a sensitive variable's value is never filled in. */
export interface VariableValues {
  key: string;
  value: string;
  description: string;
  category: string;
  hcl: boolean;
  sensitive: boolean;
}

export const EMPTY_VARIABLE: VariableValues = { key: '', value: '', description: '', category: 'terraform', hcl: false, sensitive: false };

export function variableValuesOf(variable: Variable): VariableValues {
  const { key, description, category, hcl, sensitive } = variable;
  return { key, value: sensitive ? '' : (variable.value ?? ''), description, category, hcl, sensitive };
}

const CATEGORIES = [
  { value: 'terraform', label: 'Terraform variable' },
  { value: 'env', label: 'Environment variable' },
];

/** The fields of a variable's form; `existingSensitive`: it stays sensitive, and an empty value keeps the stored one. */
function VariableFields({ values, existingSensitive }: { values: VariableValues; existingSensitive: boolean }): JSX.Element {
  return (
    <>
      <InputField label="Key" id="variable-key" name="key" value={values.key} required />
      <label for="variable-value">Value</label>
      <textarea id="variable-value" name="value" aria-describedby={existingSensitive ? 'value-hint' : undefined} safe>
        {values.sensitive ? '' : values.value}
      </textarea>
      {existingSensitive ? (
        <p class="hint" id="value-hint">
          Sensitive: the value is write-only. Leave it empty to keep the current value.
        </p>
      ) : (
        ''
      )}
      <InputField label="Description" id="variable-description" name="description" value={values.description} />
      <SelectField label="Category" id="variable-category" name="category" choices={CATEGORIES} selected={values.category} />
      <CheckboxField name="hcl" checked={values.hcl}>
        HCL
      </CheckboxField>
      <CheckboxField name="sensitive" checked={values.sensitive} disabled={existingSensitive}>
        Sensitive (write-only)
      </CheckboxField>
    </>
  );
}

export function VariablesPage({
  user,
  view,
  variables,
  values = EMPTY_VARIABLE,
  error,
}: {
  user: PageUser;
  view: WorkspaceView;
  variables: Variable[];
  values?: VariableValues;
  error?: string;
}): JSX.Element {
  const { workspace } = view;
  const base = workspaceSettingsPath(workspace.organizationName, workspace.name, 'variables');
  const mayManage = view.allowed.has('workspace:manage-variables');
  return (
    <SettingsLayout user={user} view={view} tab="variables">
      {variables.length === 0 ? (
        <p>No variables.</p>
      ) : (
        <table>
          <TableHead columns={['Key', 'Value', 'Category', 'Description', mayManage && 'Actions']} />
          <tbody>
            {variables.map((variable) => (
              <tr>
                <td>
                  <code safe>{variable.key}</code>
                  {variable.hcl ? <span class="badge badge-idle">HCL</span> : ''}
                  {variable.sensitive ? <span class="badge badge-waiting">sensitive</span> : ''}
                </td>
                <td>{variable.sensitive ? <span class="muted">Sensitive — write only</span> : <code safe>{variable.value ?? ''}</code>}</td>
                <td>{variable.category === 'env' ? 'env' : 'terraform'}</td>
                <td safe>{variable.description}</td>
                {mayManage ? (
                  <td>
                    <a href={`${base}/${encodeURIComponent(variable.id)}`} aria-label={`Edit ${variable.key}`}>
                      Edit
                    </a>{' '}
                    <ActionButton user={user} action={`${base}/${encodeURIComponent(variable.id)}/delete`} label="Delete" danger />
                  </td>
                ) : (
                  ''
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayManage ? (
        <section aria-labelledby="add-variable">
          <h2 id="add-variable">Add a variable</h2>
          <PostForm csrfToken={user.csrfToken} action={base} class="stacked narrow">
            <FormError message={error} />
            <VariableFields values={values} existingSensitive={false} />
            <button type="submit" class="primary">
              Add variable
            </button>
          </PostForm>
        </section>
      ) : (
        ''
      )}
    </SettingsLayout>
  );
}

export function VariableEditPage({
  user,
  view,
  variable,
  values,
  error,
}: {
  user: PageUser;
  view: WorkspaceView;
  variable: Variable;
  values: VariableValues;
  error?: string;
}): JSX.Element {
  const { workspace } = view;
  const action = `${workspaceSettingsPath(workspace.organizationName, workspace.name, 'variables')}/${encodeURIComponent(variable.id)}`;
  return (
    <SettingsLayout user={user} view={view} tab="variables">
      <h2 safe>{`Edit ${variable.key}`}</h2>
      <PostForm csrfToken={user.csrfToken} action={action} class="stacked narrow">
        <FormError message={error} />
        <VariableFields values={values} existingSensitive={variable.sensitive} />
        <button type="submit" class="primary">
          Save variable
        </button>
      </PostForm>
    </SettingsLayout>
  );
}

function scopeOf(set: VariableSetView, workspaceId: string): string {
  if (set.set.isGlobal) return 'all workspaces';
  return set.links.workspaceIds.includes(workspaceId) ? 'this workspace' : 'its project';
}

export function VariableSetsPage({
  user,
  view,
  applied,
  applicable,
}: {
  user: PageUser;
  view: WorkspaceView;
  applied: VariableSetView[];
  /** Sets the user may apply here; empty for who may not. */
  applicable: VariableSetView[];
}): JSX.Element {
  const { workspace } = view;
  const base = workspaceSettingsPath(workspace.organizationName, workspace.name, 'variable-sets');
  return (
    <SettingsLayout user={user} view={view} tab="variable-sets">
      {applied.length === 0 ? (
        <p>No variable sets apply to this workspace.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Applied to', 'Variables', 'Description', 'Actions']} />
          <tbody>
            {applied.map((set) => (
              <tr>
                <td>
                  <span safe>{set.set.name}</span>
                  {set.set.priority ? <span class="badge badge-waiting">priority</span> : ''}
                </td>
                <td safe>{scopeOf(set, workspace.id)}</td>
                <td>{set.links.variableIds.length}</td>
                <td safe>{set.set.description}</td>
                <td>
                  {set.canUpdate && set.links.workspaceIds.includes(workspace.id) ? (
                    <ActionButton user={user} action={`${base}/${encodeURIComponent(set.set.id)}/remove`} label="Remove" danger />
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {applicable.length > 0 ? (
        <PostForm csrfToken={user.csrfToken} action={base} class="search" aria-label="Apply a variable set">
          <SelectField label="Variable set" id="variable-set" name="variable-set" choices={applicable.map(({ set }) => ({ value: set.id, label: set.name }))} />
          <button type="submit">Apply</button>
        </PostForm>
      ) : (
        ''
      )}
    </SettingsLayout>
  );
}
