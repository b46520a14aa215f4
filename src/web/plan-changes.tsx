import { json } from 'node:stream/consumers';
import type { Ctx } from '../context.js';
import * as phaseOutputService from '../runs/phase-output-service.js';

/**
 * The resource changes of a run's plan as the run page lists them: read from the redacted JSON plan
 * (the API's `json-output-redacted`, for whoever reads the run), and of each change only its address
 * and action, never a value, so nothing sensitive can show.
 */

export const CHANGE_ACTIONS = ['create', 'replace', 'update', 'delete', 'read'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

const HEADINGS: Record<ChangeAction, string> = {
  create: 'To create',
  replace: 'To replace',
  update: 'To update in place',
  delete: 'To destroy',
  read: 'Data to read',
};

/** Addresses by action, in plan order; an action with no change is absent. */
export type PlanChanges = Partial<Record<ChangeAction, string[]>>;

/** Terraform's action list as one word; `no-op` (and anything unknown) is no change to list. */
function actionOf(actions: unknown): ChangeAction | undefined {
  if (!Array.isArray(actions)) return undefined;
  if (actions.includes('create') && actions.includes('delete')) return 'replace';
  const [only] = actions;
  return actions.length === 1 && (only === 'create' || only === 'update' || only === 'delete' || only === 'read') ? only : undefined;
}

/** The changes of a redacted plan document; a document of another shape lists nothing. */
export function planChangesOf(document: unknown): PlanChanges {
  const changes: PlanChanges = {};
  const resources = (document as { resource_changes?: unknown } | null)?.resource_changes;
  for (const resource of Array.isArray(resources) ? resources : []) {
    const address = (resource as { address?: unknown }).address;
    const action = actionOf((resource as { change?: { actions?: unknown } }).change?.actions);
    if (typeof address !== 'string' || action === undefined) continue;
    changes[action] = [...(changes[action] ?? []), address];
  }
  return changes;
}

/** The run's plan changes, or undefined while its plan has no JSON yet (or ended without one). */
export async function loadPlanChanges(ctx: Ctx, runId: string): Promise<PlanChanges | undefined> {
  const content = await phaseOutputService.redactedJsonOutput(ctx, { runId });
  return content && planChangesOf(await json(content));
}

export function PlanChangeList({ changes }: { changes: PlanChanges | undefined }): JSX.Element {
  if (!changes) return <p class="muted-block">The plan's resource changes show here once the plan has finished.</p>;
  const groups = CHANGE_ACTIONS.filter((action) => (changes[action] ?? []).length > 0);
  if (groups.length === 0) return <p id="plan-changes">No changes: the infrastructure matches the configuration.</p>;
  return (
    <div id="plan-changes">
      {groups.map((action) => (
        <section class={`change-group change-${action}`}>
          <h3 safe>{`${HEADINGS[action]} (${(changes[action] ?? []).length})`}</h3>
          <ul class="addresses">
            {(changes[action] ?? []).map((address) => (
              <li>
                <code safe>{address}</code>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
