import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countChanges, hasChanges, redactedPlan, type ShowPlan } from './plan-json.js';

/** Reading `terraform show -json` plans: counts, has-changes, and the redacted document for the CLI's renderer. */

const resource = (address: string, actions: string[], change: Record<string, unknown> = {}, mode = 'managed') => ({
  address,
  mode,
  type: 'terraform_data',
  name: address.split('.')[1] as string,
  change: { actions, before: null, after: null, ...change },
});

describe('plan JSON', () => {
  it('counts additions, changes, destructions (a replacement is both) and imports', () => {
    const plan: ShowPlan = {
      resource_changes: [
        resource('terraform_data.new', ['create']),
        resource('terraform_data.changed', ['update']),
        resource('terraform_data.gone', ['delete']),
        resource('terraform_data.replaced', ['delete', 'create']),
        resource('terraform_data.imported', ['no-op'], { importing: { id: 'x' } }),
        resource('terraform_data.same', ['no-op']),
        resource('data.terraform_remote_state.read', ['read'], {}, 'data'),
      ],
    };
    assert.deepEqual(countChanges(plan), { additions: 2, changes: 1, destructions: 2, imports: 1 });
  });

  it('has changes as Terraform says, else when anything would change', () => {
    assert.equal(hasChanges({ applyable: false, resource_changes: [resource('terraform_data.a', ['create'])] }, false), false);
    assert.equal(hasChanges({ resource_changes: [resource('terraform_data.a', ['no-op'])] }, false), false);
    assert.equal(hasChanges({ resource_changes: [resource('terraform_data.a', ['update'])] }, false), true);
    assert.equal(hasChanges({ output_changes: { o: { actions: ['create'] } } }, false), true);
    const drift = { resource_drift: [resource('terraform_data.a', ['update'])] };
    assert.equal(hasChanges(drift, true), true);
    assert.equal(hasChanges(drift, false), false);
  });

  it('redacts sensitive values and keeps whether they changed', () => {
    const plan: ShowPlan = {
      format_version: '1.2',
      resource_changes: [
        resource('terraform_data.kept', ['update'], {
          before: { input: 'old-secret', nested: { token: 'same-secret', plain: 1 }, list: ['a', 's1'] },
          after: { input: 'new-secret', nested: { token: 'same-secret', plain: 2 }, list: ['a', 's1'] },
          before_sensitive: { input: true, nested: { token: true }, list: [false, true] },
          after_sensitive: { input: true, nested: { token: true }, list: [false, true] },
        }),
      ],
      output_changes: { o: { actions: ['update'], before: 5, after: 6, before_sensitive: true, after_sensitive: true } },
      relevant_attributes: [{ resource: 'terraform_data.kept', attribute: ['input'] }],
    };
    const doc = redactedPlan(plan, { format_version: '1.0', provider_schemas: { p: {} } });
    const text = JSON.stringify(doc);
    for (const secret of ['old-secret', 'new-secret', 'same-secret', 's1']) assert.doesNotMatch(text, new RegExp(secret));
    const change = (doc.resource_changes as any[])[0].change;
    assert.notEqual(change.before.input, change.after.input, 'a changed secret still differs');
    assert.deepEqual(change.before.nested, { token: '(sensitive)', plain: 1 });
    assert.equal(change.before.nested.token, change.after.nested.token, 'an unchanged secret still compares equal');
    assert.deepEqual(change.after.list, ['a', '(sensitive)']);
    const output = (doc.output_changes as any).o;
    assert.equal(typeof output.before, 'number');
    assert.notEqual(output.before, output.after);
    assert.equal(doc.plan_format_version, '1.2');
    assert.equal(doc.provider_format_version, '1.0');
    assert.deepEqual(doc.provider_schemas, { p: {} });
    assert.deepEqual(doc.relevant_attributes, plan.relevant_attributes);
    assert.equal('configuration' in doc || 'variables' in doc || 'prior_state' in doc, false);
  });
});
