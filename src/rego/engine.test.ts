import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type EvaluateOutcome, evaluate, type RegoModule } from './index.js';

function bindings(outcome: EvaluateOutcome): Record<string, unknown>[] {
  if ('errors' in outcome) assert.fail(`unexpected errors: ${JSON.stringify(outcome.errors)}`);
  return outcome.result.map((r) => r.bindings);
}

function errorCode(outcome: EvaluateOutcome): string {
  if (!('errors' in outcome)) assert.fail(`expected an error, got ${JSON.stringify(outcome.result)}`);
  return outcome.errors[0]!.code;
}

const terraformPolicy: RegoModule = {
  name: 'policy.rego',
  source: `package terraform.policies.public_ingress

import input.plan as tfplan

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_security_group"
  some rule in r.change.after.ingress
  "0.0.0.0/0" in rule.cidr_blocks
  msg := sprintf("%s allows ingress from the whole internet", [r.address])
}

allowed_types := {"aws_instance", "aws_security_group"}

warn contains msg if {
  some r in tfplan.resource_changes
  not allowed_types[r.type]
  msg := sprintf("%s has type %s", [r.address, r.type])
}
`,
};

function plan(changes: number): unknown {
  return {
    plan: {
      resource_changes: Array.from({ length: changes }, (_, i) => ({
        address: `aws_security_group.sg${i}`,
        type: i % 100 === 0 ? 'aws_s3_bucket' : 'aws_security_group',
        change: { after: { ingress: [{ cidr_blocks: i % 500 === 1 ? ['0.0.0.0/0'] : ['10.0.0.0/8'] }] } },
      })),
    },
  };
}

describe('evaluate', () => {
  test('a Terraform-style policy reports its deny and warn messages', () => {
    const rows = bindings(
      evaluate([terraformPolicy], 'deny := data.terraform.policies.public_ingress.deny; warn := data.terraform.policies.public_ingress.warn', {
        input: plan(3),
      }),
    );
    assert.deepEqual(rows, [
      {
        deny: ['aws_security_group.sg1 allows ingress from the whole internet'],
        warn: ['aws_security_group.sg0 has type aws_s3_bucket'],
      },
    ]);
  });

  test('a 2,000-change plan evaluates quickly', () => {
    const input = plan(2000);
    const started = performance.now();
    const rows = bindings(evaluate([terraformPolicy], 'x := count(data.terraform.policies.public_ingress.deny)', { input }));
    const elapsed = performance.now() - started;
    assert.deepEqual(rows, [{ x: 4 }]);
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });

  test('a query with no variables answers one empty row when true, none when false', () => {
    assert.deepEqual(bindings(evaluate([], '1 == 1')), [{}]);
    assert.deepEqual(bindings(evaluate([], '1 == 2')), []);
  });

  test('expressions carry their values', () => {
    const outcome = evaluate([], 'input.a');
    assert.ok('errors' in outcome === false);
    const withInput = evaluate([], 'input.a', { input: { a: [1, 2] } });
    assert.ok(!('errors' in withInput));
    assert.deepEqual(withInput.result[0]!.expressions, [[1, 2]]);
  });

  test('v0 syntax with future.keywords still parses: partial sets without contains', () => {
    const module = { name: 'v0.rego', source: 'package p\nimport future.keywords.in\n\nq[x] {\n  some x in [1, 2]\n}\n' };
    assert.deepEqual(bindings(evaluate([module], 'x := data.p.q')), [{ x: [1, 2] }]);
  });

  test('parse errors carry the rego_parse_error code and a location', () => {
    const outcome = evaluate([{ name: 'bad.rego', source: 'package p\n\np := [1,\n' }], 'x := data.p.p');
    assert.equal(errorCode(outcome), 'rego_parse_error');
    assert.ok('errors' in outcome && outcome.errors[0]!.location?.file === 'bad.rego');
  });

  test('unsafe variables are compile errors', () => {
    const outcome = evaluate([{ name: 'u.rego', source: 'package p\n\np if {\n  x > 1\n}\n' }], 'x := data.p.p');
    assert.equal(errorCode(outcome), 'rego_unsafe_var_error');
  });

  test('conflicting complete rules are eval_conflict_error', () => {
    const outcome = evaluate([{ name: 'c.rego', source: 'package p\n\np := 1\np := 2\n' }], 'x := data.p.p');
    assert.equal(errorCode(outcome), 'eval_conflict_error');
  });

  test('recursion is refused', () => {
    const outcome = evaluate([{ name: 'r.rego', source: 'package p\n\np if q\nq if p\n' }], 'x := data.p.p');
    assert.equal(errorCode(outcome), 'rego_recursion_error');
  });

  test('a runaway comprehension stops at the step budget', () => {
    const outcome = evaluate(
      [{ name: 'big.rego', source: 'package p\n\nn := numbers.range(1, 1000)\np := count([x | n[_]; n[_]; x := 1])\n' }],
      'x := data.p.p',
      {},
      { maxSteps: 100_000 },
    );
    assert.equal(errorCode(outcome), 'eval_limit_error');
  });

  test('a range too large to hold stops the query with a limit error, never an empty result', () => {
    const source = 'package p\n\nn := count([i | some i in numbers.range(1, 100000000)])\n';
    const outcome = evaluate([{ name: 'r.rego', source }], 'x := data.p.n');
    assert.equal(errorCode(outcome), 'eval_limit_error');
    assert.equal(
      errorCode(evaluate([{ name: 'r.rego', source: 'package p\n\nn := numbers.range_step(0, 100000000, 1)\n' }], 'x := data.p.n')),
      'eval_limit_error',
    );
    assert.deepEqual(bindings(evaluate([{ name: 'r.rego', source: 'package p\n\nn := count(numbers.range(1, 1000))\n' }], 'x := data.p.n')), [{ x: 1000 }]);
  });

  test('deep function nesting stops at the depth limit', () => {
    const source = `package p\n\n${Array.from({ length: 30 }, (_, i) => `f${i}(x) := f${i + 1}(x)`).join('\n')}\nf30(x) := x\n`;
    assert.deepEqual(bindings(evaluate([{ name: 'd.rego', source }], 'x := data.p.f0(1)')), [{ x: 1 }]);
    assert.equal(errorCode(evaluate([{ name: 'd.rego', source }], 'x := data.p.f0(1)', {}, { maxDepth: 10 })), 'eval_limit_error');
  });

  test('regular expressions RE2 rejects are errors, not different matches', () => {
    const lookahead = 'regex.match("a(?=b)", "ab")';
    assert.deepEqual(bindings(evaluate([], lookahead)), []);
    assert.equal(errorCode(evaluate([], lookahead, {}, { strictBuiltinErrors: true })), 'eval_builtin_error');
    // RE2's \\s is ASCII whitespace only; JS's includes U+00A0.
    assert.deepEqual(bindings(evaluate([], 'x := regex.match(`^\\s$`, "\u00a0")')), [{ x: false }]);
    assert.deepEqual(bindings(evaluate([], 'x := regex.match(`(?i)^abc$`, "ABC")')), [{ x: true }]);
  });

  test('string helpers Terraform policies use', () => {
    const rows = bindings(
      evaluate(
        [],
        'a := startswith("aws_instance", "aws_"); b := endswith("main.tf", ".tf"); c := contains("abc", "b"); d := sprintf("%v-%d-%s", [[1, "x"], 42, "s"]); e := object.get({"a": {"b": 1}}, ["a", "b"], 0)',
      ),
    );
    assert.deepEqual(rows, [{ a: true, b: true, c: true, d: '[1, "x"]-42-s', e: 1 }]);
  });

  test('with replaces input and functions for one expression', () => {
    const module = { name: 'w.rego', source: 'package p\n\nallow if input.user == "alice"\nn := count([1, 2, 3])\n' };
    assert.deepEqual(bindings(evaluate([module], 'x := data.p.allow with input as {"user": "alice"}')), [{ x: true }]);
    assert.deepEqual(bindings(evaluate([module], 'x := data.p.n with count as 7')), [{ x: 7 }]);
  });

  test('integers beyond 2^53 keep every digit', () => {
    const rows = bindings(evaluate([], 'x := 9007199254740993 + 1'));
    assert.equal(rows[0]!.x, 9007199254740994n);
  });

  test('json.match_schema reports each violation with its field, as gojsonschema does', () => {
    const rows = bindings(
      evaluate(
        [],
        'r := json.match_schema({"a": [1], "c": 3}, {"type": "object", "required": ["z"], "properties": {"a": {"items": {"minimum": 2}}}, "additionalProperties": false})',
      ),
    );
    assert.deepEqual(rows, [
      {
        r: [
          false,
          [
            { desc: 'z is required', error: '(root): z is required', field: '(root)', type: 'required' },
            { desc: 'Must be greater than or equal to 2', error: 'a.0: Must be greater than or equal to 2', field: 'a.0', type: 'number_gte' },
            {
              desc: 'Additional property c is not allowed',
              error: '(root): Additional property c is not allowed',
              field: '(root)',
              type: 'additional_property_not_allowed',
            },
          ],
        ],
      },
    ]);
  });

  test('strings.render_template runs Go template actions: range, if/else if, with, variables, trimming', () => {
    const template = '{{- range $k, $v := .m }} {{$k}}={{$v}}{{ end -}} | {{with .n}}{{.x}}{{else}}none{{end}}|{{if .z}}z{{else if .m.a}}a{{end}}';
    const rows = bindings(evaluate([], `r := strings.render_template(${JSON.stringify(template)}, {"m": {"a": 1, "b": "two"}, "n": {"x": "X"}})`));
    assert.deepEqual(rows, [{ r: ' a=1 b=two| X|a' }]);
  });
});
