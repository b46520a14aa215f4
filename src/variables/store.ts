import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { VariableRow } from '../db/schema.js';
import { insertRow, type SealedValue, storedAttributes, updateRow, type VariableAttributes, type VariableFields, withoutSealedValue } from './variable-rows.js';

/** A workspace variable as the API shows it: the value is null when sensitive (only its sealed form is stored). */
export interface Variable extends VariableAttributes {
  workspaceId: string;
}

/** A variable with its stored secret, for internal use (runs, rotation); never serialized. */
export interface StoredVariable extends Variable, SealedValue {}

function toStoredVariable(row: VariableRow): StoredVariable {
  return { ...storedAttributes(row), workspaceId: row.workspace_id as string };
}

function toVariable(row: VariableRow): Variable {
  return withoutSealedValue(toStoredVariable(row));
}

/** The name of the unique index on (workspace_id, category, key): one key per workspace and category. */
export const WORKSPACE_KEY_CONSTRAINT = 'variables_workspace_key';

export async function insert(db: Db, variable: VariableFields & { id: string; workspaceId: string; now: Date }): Promise<Variable> {
  return toVariable(await insertRow(db, { workspace_id: variable.workspaceId }, variable));
}

/** A workspace variable by id, optionally only within one workspace; locked for update when `forUpdate`. */
export async function findById(db: Db, id: string, options: { workspaceId?: string; forUpdate?: boolean } = {}): Promise<StoredVariable | undefined> {
  let query = db.selectFrom('variables').selectAll().where('id', '=', id).where('workspace_id', 'is not', null);
  if (options.workspaceId !== undefined) query = query.where('workspace_id', '=', options.workspaceId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toStoredVariable(row);
}

export async function update(db: Db, id: string, fields: VariableFields & { now: Date }): Promise<Variable> {
  return toVariable(await updateRow(db, id, fields));
}

export async function deleteById(db: Db, id: string, workspaceId: string): Promise<boolean> {
  const result = await db.deleteFrom('variables').where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function workspaceVariables(db: Db, workspaceId: string) {
  return db.selectFrom('variables').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id');
}

/** All variables of one workspace, oldest first. */
export async function selectByWorkspace(db: Db, workspaceId: string): Promise<Variable[]> {
  return (await workspaceVariables(db, workspaceId).execute()).map(toVariable);
}

/** All variables of one workspace with their sealed values, for runs. */
export async function selectStoredByWorkspace(db: Db, workspaceId: string): Promise<StoredVariable[]> {
  return (await workspaceVariables(db, workspaceId).execute()).map(toStoredVariable);
}

/** The workspace a variable of a cross-workspace list belongs to, named for links. */
export interface VariableWorkspace {
  id: string;
  name: string;
  organizationName: string;
}

/**
 * A page of workspace variables across the workspaces of `organizationIds` (every organization when 'all'),
 * ordered by organization, workspace and age.
 */
/** Where variables may be read: whole organizations, and the workspaces these teams reach with variable access. */
export interface ReadableScope {
  organizationIds: readonly string[] | 'all';
  teamIds: readonly string[];
}

export async function selectPageAcrossWorkspaces(
  db: Db,
  scope: ReadableScope,
  window: PageWindow,
): Promise<{ variables: Array<{ variable: Variable; workspace: VariableWorkspace }>; total: number }> {
  const { organizationIds, teamIds } = scope;
  if (organizationIds !== 'all' && organizationIds.length === 0 && teamIds.length === 0) return { variables: [], total: 0 };
  let base = db
    .selectFrom('variables')
    .innerJoin('workspaces', 'workspaces.id', 'variables.workspace_id')
    .innerJoin('organizations', 'organizations.id', 'workspaces.organization_id');
  if (organizationIds !== 'all') {
    // Team access rows store the permissions of fixed levels too, so "any variable access" is one comparison.
    base = base.where((eb) =>
      eb.or([
        ...(organizationIds.length > 0 ? [eb('workspaces.organization_id', 'in', organizationIds)] : []),
        ...(teamIds.length > 0
          ? [
              eb(
                // As text: team_workspaces.workspace_id is not typed as a workspace id.
                sql.ref<string>('workspaces.id'),
                'in',
                db.selectFrom('team_workspaces').select('workspace_id').where('team_id', 'in', teamIds).where('variables', '<>', 'none'),
              ),
              eb(
                'workspaces.project_id',
                'in',
                db.selectFrom('team_projects').select('project_id').where('team_id', 'in', teamIds).where('workspace_variables', '<>', 'none'),
              ),
            ]
          : []),
      ]),
    );
  }
  const ordered = base
    .selectAll('variables')
    .select(['workspaces.name as workspace_name', 'organizations.name as organization_name'])
    .orderBy('organizations.name')
    .orderBy('workspaces.name')
    .orderBy('variables.created_at')
    .orderBy('variables.id');
  const { rows, total } = await pageAndTotal(ordered, window);
  return {
    variables: rows.map((row) => ({
      variable: toVariable(row),
      workspace: { id: row.workspace_id as string, name: row.workspace_name, organizationName: row.organization_name },
    })),
    total,
  };
}
