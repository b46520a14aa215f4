import { json } from 'node:stream/consumers';
import type { Ctx } from '../context.js';
import * as phaseOutputService from '../runs/phase-output-service.js';
import type { Plan } from '../runs/phase-store.js';

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
    const addresses = changes[action] ?? [];
    addresses.push(address);
    changes[action] = addresses;
  }
  return changes;
}

/** How many plans' changes the server keeps parsed. */
const RECENT_PLANS = 32;
/**
 * The changes of recently shown plans by blob key: a plan's redacted JSON never changes once stored,
 * and reading it from the blob store (the database, with PostgreSQL) and parsing it was most of a run
 * page's time. Oldest out first.
 */
const recentPlans = new Map<string, PlanChanges>();

/**
 * The changes of the run's plan, or undefined while it has no JSON yet (or ended without one). `plan`
 * comes from the run's view, which the runs service gave the caller: they may read it.
 */
export async function loadPlanChanges(ctx: Ctx, plan: Pick<Plan, 'runId' | 'redactedJsonBlobKey'>): Promise<PlanChanges | undefined> {
  const key = plan.redactedJsonBlobKey;
  if (!key) return undefined;
  const recent = recentPlans.get(key);
  if (recent) return recent;
  const content = await phaseOutputService.redactedJsonOutput(ctx, { runId: plan.runId });
  if (!content) return undefined;
  const changes = planChangesOf(await json(content));
  recentPlans.set(key, changes);
  for (const oldest of recentPlans.keys()) {
    if (recentPlans.size <= RECENT_PLANS) break;
    recentPlans.delete(oldest);
  }
  return changes;
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
