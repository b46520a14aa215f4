import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError } from '../errors.js';
import {
  assertTransition,
  isActive,
  isFinal,
  nextStatus,
  PHASE_STATUSES,
  type PhaseStatus,
  phaseChanges,
  RUN_STATUS_GROUPS,
  RUN_STATUSES,
  RUN_TRANSITIONS,
  type RunFlow,
  type RunStage,
  type RunStatus,
  runActions,
  statusesFrom,
} from './state.js';

const STAGES: readonly RunStage[] = ['fetch', 'pre_plan', 'queuing', 'cost_estimation', 'policy_check', 'post_plan', 'pre_apply', 'post_apply'];

const baseFlow: RunFlow = { enabledStages: new Set(), planOnly: false, savePlan: false, autoApply: false, hasChanges: true, allowEmptyApply: false };

const FINALS: readonly RunStatus[] = ['applied', 'planned_and_finished', 'policy_soft_failed', 'discarded', 'errored', 'canceled', 'force_canceled'];

function refuses(from: RunStatus, to: RunStatus): boolean {
  try {
    assertTransition(from, to);
    return false;
  } catch (error) {
    assert.ok(error instanceof ConflictError, `${from} → ${to} threw ${String(error)}`);
    assert.equal(error.status, 409);
    return true;
  }
}

function actionsOf(status: RunStatus) {
  return runActions({ status, planOnly: false, cancelRequestedAt: null, forceCancelAvailableAt: null, now: new Date() });
}

/** Follows nextStatus from `start` until the run waits (null) or ends; every step must be in the table. */
function walk(flow: RunFlow, start: RunStatus = 'pending'): RunStatus[] {
  const path: RunStatus[] = [start];
  for (let current = start; !isFinal(current); ) {
    const next = nextStatus(current, flow);
    if (next === null) break;
    assert.ok(RUN_TRANSITIONS[current].includes(next), `nextStatus took ${current} → ${next}, which the table refuses`);
    path.push(next);
    current = next;
    assert.ok(path.length < 40, 'nextStatus loops');
  }
  return path;
}

/** api-docs/run.mdx "Run States", in its order. */
const DOCUMENTED_STATUSES = [
  'pending',
  'fetching',
  'fetching_completed',
  'pre_plan_running',
  'pre_plan_completed',
  'queuing',
  'plan_queued',
  'planning',
  'planned',
  'cost_estimating',
  'cost_estimated',
  'policy_checking',
  'policy_override',
  'policy_soft_failed',
  'policy_checked',
  'confirmed',
  'post_plan_running',
  'post_plan_completed',
  'planned_and_finished',
  'planned_and_saved',
  'apply_queued',
  'applying',
  'applied',
  'discarded',
  'errored',
  'canceled',
  'force_canceled',
];

describe('run states', () => {
  it('lists every status of api-docs/run.mdx "Run States" plus those of the task stages it leaves out, once each', () => {
    const taskStages = ['pre_apply_running', 'pre_apply_completed', 'post_apply_running', 'post_apply_completed', 'post_plan_awaiting_decision'];
    assert.deepEqual([...RUN_STATUSES].sort(), [...DOCUMENTED_STATUSES, ...taskStages].sort());
    assert.deepEqual(Object.keys(RUN_TRANSITIONS).sort(), [...RUN_STATUSES].sort());
  });

  it('gives the statuses between two, both included, in the order a run goes through them', () => {
    assert.deepEqual(statusesFrom('pre_apply_running', 'post_apply_completed'), [
      'pre_apply_running',
      'pre_apply_completed',
      'apply_queued',
      'applying',
      'post_apply_running',
      'post_apply_completed',
    ]);
    assert.deepEqual(statusesFrom('applied', 'applied'), ['applied']);
  });

  it('allows exactly the pairs of the table and refuses every other one with a 409', () => {
    let allowed = 0;
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        const inTable = RUN_TRANSITIONS[from].includes(to);
        assert.equal(refuses(from, to), !inTable, `${from} → ${to}`);
        if (inTable) allowed++;
      }
    }
    assert.equal(allowed, Object.values(RUN_TRANSITIONS).flat().length);
  });

  it('has no self-loops, duplicates or unknown targets', () => {
    for (const from of RUN_STATUSES) {
      const exits = RUN_TRANSITIONS[from];
      assert.ok(!exits.includes(from), `${from} loops to itself`);
      assert.equal(new Set(exits).size, exits.length, `${from} has a duplicate exit`);
      for (const to of exits) assert.ok(RUN_STATUSES.includes(to), `${from} → unknown ${to}`);
    }
  });

  it('makes the documented final statuses, and only those, final: no exits, and a clear refusal', () => {
    assert.deepEqual(RUN_STATUSES.filter(isFinal).sort(), [...FINALS].sort());
    for (const final of FINALS) {
      assert.deepEqual(RUN_TRANSITIONS[final], []);
      assert.throws(() => assertTransition(final, 'planning'), { message: `run is already ${final}` });
    }
    assert.throws(() => assertTransition('planned', 'applying'), { message: 'a run cannot go from planned to applying' });
  });

  it('reaches every status from pending, and a final status from every status', () => {
    const reached = new Set<RunStatus>(['pending']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const from of [...reached]) {
        for (const to of RUN_TRANSITIONS[from]) {
          if (!reached.has(to)) {
            reached.add(to);
            grew = true;
          }
        }
      }
    }
    assert.deepEqual([...reached].sort(), [...RUN_STATUSES].sort());
    for (const status of RUN_STATUSES) {
      if (!isFinal(status)) assert.ok(RUN_TRANSITIONS[status].includes('errored'), `${status} cannot end errored`);
    }
  });

  it('follows the documented transitions and refuses shortcuts', () => {
    const allowedPairs: [RunStatus, RunStatus][] = [
      ['pending', 'plan_queued'],
      ['pending', 'discarded'],
      ['pending', 'canceled'],
      ['plan_queued', 'planning'],
      ['planning', 'planned'],
      ['planning', 'errored'],
      ['planning', 'canceled'],
      ['planned', 'confirmed'],
      ['planned', 'planned_and_finished'],
      ['planned', 'planned_and_saved'],
      ['planned', 'discarded'],
      ['planned_and_saved', 'confirmed'],
      ['policy_checking', 'policy_override'],
      ['policy_checking', 'policy_soft_failed'],
      ['policy_override', 'policy_checked'],
      ['policy_override', 'discarded'],
      ['confirmed', 'apply_queued'],
      ['apply_queued', 'applying'],
      ['applying', 'applied'],
      ['applying', 'force_canceled'],
    ];
    for (const [from, to] of allowedPairs) assert.equal(refuses(from, to), false, `${from} → ${to}`);
    const refusedPairs: [RunStatus, RunStatus][] = [
      ['pending', 'planning'], // must be queued first
      ['pending', 'force_canceled'], // nothing runs yet: a plain cancel ends it
      ['planned', 'applying'], // must be confirmed
      ['planned', 'canceled'], // waits for a user: discard, not cancel
      ['policy_override', 'confirmed'], // override first (run.mdx "Apply a Run")
      ['confirmed', 'discarded'],
      ['applying', 'discarded'],
      ['applied', 'errored'],
      ['discarded', 'pending'],
    ];
    for (const [from, to] of refusedPairs) assert.equal(refuses(from, to), true, `${from} → ${to}`);
  });

  it('counts as active the statuses that hold the workspace', () => {
    const inactive = RUN_STATUSES.filter((status) => !isActive(status));
    assert.deepEqual(inactive.sort(), ['pending', 'planned_and_saved', ...FINALS].sort());
  });

  it('has the documented status groups', () => {
    assert.deepEqual([...RUN_STATUS_GROUPS.final].sort(), [...FINALS].sort());
    assert.equal(RUN_STATUS_GROUPS.non_final.length + RUN_STATUS_GROUPS.final.length, RUN_STATUSES.length);
    assert.ok(RUN_STATUS_GROUPS.non_final.every((status) => !isFinal(status)));
    assert.deepEqual(
      [...RUN_STATUS_GROUPS.discardable].sort(),
      [
        'cost_estimated',
        'planned',
        'planned_and_saved',
        'policy_checked',
        'policy_override',
        'post_plan_completed',
        'post_plan_running',
        'post_plan_awaiting_decision',
      ].sort(),
    );
  });
});

describe('run actions', () => {
  const now = new Date('2025-01-01T00:00:30Z');
  const actions = (status: RunStatus, more: Partial<Parameters<typeof runActions>[0]> = {}) =>
    runActions({ status, planOnly: false, cancelRequestedAt: null, forceCancelAvailableAt: null, now, ...more });
  const where = (pick: (a: ReturnType<typeof actions>) => boolean) => RUN_STATUSES.filter((status) => pick(actions(status))).sort();

  it('is cancelable while in motion, pending included (the sample pending run is cancelable)', () => {
    assert.deepEqual(
      where((a) => a.isCancelable),
      [
        // Every status before the plan has finished.
        ...DOCUMENTED_STATUSES.slice(0, DOCUMENTED_STATUSES.indexOf('planned')),
        'cost_estimating',
        'policy_checking',
        'post_plan_running',
        'confirmed',
        'pre_apply_running',
        'pre_apply_completed',
        'apply_queued',
        'applying',
        'post_apply_running',
      ].sort(),
    );
  });

  it('is confirmable while waiting for confirmation, never for plan-only runs or in policy_override', () => {
    assert.deepEqual(
      where((a) => a.isConfirmable),
      ['planned', 'cost_estimated', 'policy_checked', 'post_plan_completed', 'planned_and_saved'].sort(),
    );
    assert.equal(actions('planned', { planOnly: true }).isConfirmable, false);
  });

  it('is discardable when pending or in the discardable group', () => {
    assert.deepEqual(
      where((a) => a.isDiscardable),
      ['pending', ...RUN_STATUS_GROUPS.discardable].sort(),
    );
  });

  it('is force-cancelable only after a cancel, once the cool-off has passed, while something may run', () => {
    assert.deepEqual(
      where((a) => a.isForceCancelable),
      [],
    );
    const canceled = { cancelRequestedAt: new Date('2025-01-01T00:00:00Z'), forceCancelAvailableAt: new Date('2025-01-01T00:00:10Z') };
    assert.deepEqual(
      RUN_STATUSES.filter((status) => actions(status, canceled).isForceCancelable).sort(),
      // Task stages have no process: a cancel ends them at once.
      ['applying', 'cost_estimating', 'planning', 'policy_checking'].sort(),
    );
    assert.equal(actions('planning', canceled).isCancelable, false);
    assert.equal(actions('planning', { ...canceled, now: new Date('2025-01-01T00:00:09.999Z') }).isForceCancelable, false);
    assert.equal(actions('planning', { ...canceled, now: new Date('2025-01-01T00:00:10Z') }).isForceCancelable, true);
    assert.equal(actions('applied', canceled).isForceCancelable, false);
  });
});

describe('nextStatus', () => {
  it('takes a plain run (no optional stages) to confirmation, and on to applied once confirmed', () => {
    assert.deepEqual(walk(baseFlow), ['pending', 'plan_queued', 'planning', 'planned']);
    assert.equal(nextStatus('planned', baseFlow), null);
    assert.deepEqual(walk(baseFlow, 'confirmed'), ['confirmed', 'apply_queued', 'applying', 'applied']);
  });

  it('auto-applies through confirmed', () => {
    assert.deepEqual(walk({ ...baseFlow, autoApply: true }), [
      'pending',
      'plan_queued',
      'planning',
      'planned',
      'confirmed',
      'apply_queued',
      'applying',
      'applied',
    ]);
  });

  it('finishes plan-only runs and plans without changes, unless an empty apply was asked for', () => {
    for (const flow of [
      { ...baseFlow, planOnly: true },
      { ...baseFlow, planOnly: true, autoApply: true, savePlan: true },
      { ...baseFlow, hasChanges: false, autoApply: true },
      { ...baseFlow, hasChanges: false, savePlan: true },
    ]) {
      assert.equal(nextStatus('planned', flow), 'planned_and_finished');
    }
    assert.equal(nextStatus('planned', { ...baseFlow, hasChanges: false, allowEmptyApply: true }), null);
    assert.equal(nextStatus('planned', { ...baseFlow, hasChanges: false, allowEmptyApply: true, autoApply: true }), 'confirmed');
  });

  it('saves a saved plan, which then waits for confirmation even with auto-apply', () => {
    const flow = { ...baseFlow, savePlan: true, autoApply: true };
    assert.equal(nextStatus('planned', flow), 'planned_and_saved');
    assert.equal(nextStatus('planned_and_saved', flow), null);
  });

  it('waits in policy_override, and refuses final statuses', () => {
    assert.equal(nextStatus('policy_override', baseFlow), null);
    assert.equal(nextStatus('policy_checking', { ...baseFlow, enabledStages: new Set(['policy_check']) }), 'policy_checked');
    for (const final of FINALS) assert.throws(() => nextStatus(final, baseFlow), ConflictError);
  });

  it('goes through exactly the enabled stages, by one rule, for every combination of stages and options', () => {
    const stageStatuses: Record<RunStage, RunStatus[]> = {
      fetch: ['fetching', 'fetching_completed'],
      pre_plan: ['pre_plan_running', 'pre_plan_completed'],
      queuing: ['queuing'],
      cost_estimation: ['cost_estimating', 'cost_estimated'],
      policy_check: ['policy_checking', 'policy_checked'],
      post_plan: ['post_plan_running', 'post_plan_completed'],
      pre_apply: ['pre_apply_running', 'pre_apply_completed'],
      post_apply: ['post_apply_running', 'post_apply_completed'],
    };
    let combinations = 0;
    for (let mask = 0; mask < 1 << STAGES.length; mask++) {
      const enabledStages = new Set(STAGES.filter((_, i) => mask & (1 << i)));
      for (let options = 0; options < 32; options++) {
        const flow: RunFlow = {
          enabledStages,
          planOnly: (options & 1) !== 0,
          savePlan: (options & 2) !== 0,
          autoApply: (options & 4) !== 0,
          hasChanges: (options & 8) !== 0,
          allowEmptyApply: (options & 16) !== 0,
        };
        const path = walk(flow);
        const last = path.at(-1) as RunStatus;
        const finishes = flow.planOnly || (!flow.hasChanges && !flow.allowEmptyApply);
        const applies = !finishes && !flow.savePlan && flow.autoApply;
        if (finishes) assert.equal(last, 'planned_and_finished');
        else if (flow.savePlan) assert.equal(last, 'planned_and_saved');
        else if (applies) assert.equal(last, 'applied');
        else {
          // Waits for confirmation in the completion status of the last plan-side stage it went through.
          const waitsIn = (['post_plan', 'policy_check', 'cost_estimation'] as const).find((stage) => enabledStages.has(stage));
          assert.equal(last, waitsIn ? stageStatuses[waitsIn][1] : 'planned');
          assert.equal(actionsOf(last).isConfirmable, true);
        }
        for (const stage of STAGES) {
          // The apply-side stages are only on the way of runs that get to apply.
          const expected = enabledStages.has(stage) && ((stage !== 'pre_apply' && stage !== 'post_apply') || applies);
          for (const status of stageStatuses[stage])
            assert.equal(path.includes(status), expected, `${status} with ${[...enabledStages]} ${JSON.stringify(flow)}`);
        }
        combinations++;
      }
    }
    assert.equal(combinations, 256 * 32);
  });
});

describe('phaseChanges', () => {
  it('moves the plan and the apply along a successful run', () => {
    const path = walk({ ...baseFlow, autoApply: true });
    const phases = { plan: 'pending' as PhaseStatus, apply: 'pending' as PhaseStatus };
    const seen: string[] = [];
    for (let i = 1; i < path.length; i++) {
      Object.assign(phases, phaseChanges(path[i - 1] as RunStatus, path[i] as RunStatus));
      seen.push(`${phases.plan}/${phases.apply}`);
    }
    assert.deepEqual(seen, [
      'queued/pending',
      'running/pending',
      'finished/pending',
      'finished/pending',
      'finished/queued',
      'finished/running',
      'finished/finished',
    ]);
  });

  it('ends the phases of a run that stops early', () => {
    assert.deepEqual(phaseChanges('planning', 'errored'), { plan: 'errored', apply: 'unreachable' });
    assert.deepEqual(phaseChanges('planning', 'canceled'), { plan: 'canceled', apply: 'unreachable' });
    assert.deepEqual(phaseChanges('planning', 'force_canceled'), { plan: 'canceled', apply: 'unreachable' });
    assert.deepEqual(phaseChanges('pending', 'discarded'), { plan: 'unreachable', apply: 'unreachable' });
    assert.deepEqual(phaseChanges('planned', 'planned_and_finished'), { apply: 'unreachable' });
    assert.deepEqual(phaseChanges('planned', 'discarded'), { apply: 'unreachable' });
    assert.deepEqual(phaseChanges('post_plan_running', 'errored'), { apply: 'unreachable' });
    assert.deepEqual(phaseChanges('policy_checking', 'policy_soft_failed'), { apply: 'unreachable' });
    assert.deepEqual(phaseChanges('applying', 'errored'), { apply: 'errored' });
    assert.deepEqual(phaseChanges('applying', 'canceled'), { apply: 'canceled' });
    assert.deepEqual(phaseChanges('apply_queued', 'canceled'), { apply: 'canceled' });
    assert.deepEqual(phaseChanges('planned', 'cost_estimating'), {});
    assert.deepEqual(phaseChanges('applying', 'post_apply_running'), { apply: 'finished' });
    assert.deepEqual(phaseChanges('post_apply_completed', 'applied'), {});
    assert.deepEqual(phaseChanges('post_plan_awaiting_decision', 'discarded'), { apply: 'unreachable' });
  });

  it('leaves both phases final after every transition into a final status', () => {
    const finalPhases: PhaseStatus[] = ['errored', 'canceled', 'finished', 'unreachable'];
    for (const from of RUN_STATUSES) {
      for (const to of RUN_TRANSITIONS[from].filter(isFinal)) {
        const changes = phaseChanges(from, to);
        for (const value of Object.values(changes)) assert.ok(PHASE_STATUSES.includes(value));
        // The plan is final already when the run left the plan side; otherwise the change sets it.
        if (changes.plan) assert.ok(finalPhases.includes(changes.plan), `${from} → ${to}`);
        // After the post-apply stage started, the apply has finished already.
        if (from.startsWith('post_apply_')) assert.equal(changes.apply, undefined, `${from} → ${to} changes a finished apply`);
        else assert.ok(changes.apply && finalPhases.includes(changes.apply), `${from} → ${to} leaves the apply open`);
      }
    }
  });
});
