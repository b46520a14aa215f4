import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AppliedVariableSet,
  compareCodePoints,
  type EffectiveVariablesInput,
  effectiveVariables,
  type VariableSetOwner,
  type VariableSetScope,
  variableSetLevel,
} from './effective-variables.js';

interface TestVariable {
  key: string;
  category: string;
  value: string;
}

function v(key: string, value: string, category = 'terraform'): TestVariable {
  return { key, category, value };
}

function set(
  name: string,
  options: { priority?: boolean; owner?: VariableSetOwner; scope: VariableSetScope },
  variables: TestVariable[],
  id = `varset-${name}`,
): AppliedVariableSet<TestVariable> {
  return { id, name, priority: options.priority ?? false, owner: options.owner ?? 'organization', scope: options.scope, variables };
}

/** The winning value of one terraform variable. */
function winner(input: EffectiveVariablesInput<TestVariable>, key = 'region', category = 'terraform'): string | undefined {
  return effectiveVariables(input).find((e) => e.variable.key === key && e.variable.category === category)?.variable.value;
}

/** Every source of the precedence table, strongest first (index.mdx "Precedence", levels 6 and 7 merged). */
const LADDER: { label: string; input: (value: string) => EffectiveVariablesInput<TestVariable> }[] = [
  { label: 'priority global set', input: (x) => ({ workspace: [], variableSets: [set('g', { priority: true, scope: 'global' }, [v('region', x)])] }) },
  {
    label: 'priority organization-owned project-scoped set',
    input: (x) => ({ workspace: [], variableSets: [set('op', { priority: true, scope: 'project' }, [v('region', x)])] }),
  },
  {
    label: 'priority organization-owned workspace-scoped set',
    input: (x) => ({ workspace: [], variableSets: [set('ow', { priority: true, scope: 'workspace' }, [v('region', x)])] }),
  },
  {
    label: 'priority project-owned project-scoped set',
    input: (x) => ({ workspace: [], variableSets: [set('pp', { priority: true, owner: 'project', scope: 'project' }, [v('region', x)])] }),
  },
  {
    label: 'priority project-owned workspace-scoped set',
    input: (x) => ({ workspace: [], variableSets: [set('pw', { priority: true, owner: 'project', scope: 'workspace' }, [v('region', x)])] }),
  },
  { label: 'run variable', input: (x) => ({ workspace: [], variableSets: [], run: [v('region', x)] }) },
  { label: 'workspace variable', input: (x) => ({ workspace: [v('region', x)], variableSets: [] }) },
  {
    label: 'project-owned workspace-scoped set',
    input: (x) => ({ workspace: [], variableSets: [set('npw', { owner: 'project', scope: 'workspace' }, [v('region', x)])] }),
  },
  {
    label: 'project-owned project-scoped set',
    input: (x) => ({ workspace: [], variableSets: [set('npp', { owner: 'project', scope: 'project' }, [v('region', x)])] }),
  },
  { label: 'organization-owned workspace-scoped set', input: (x) => ({ workspace: [], variableSets: [set('now', { scope: 'workspace' }, [v('region', x)])] }) },
  { label: 'organization-owned project-scoped set', input: (x) => ({ workspace: [], variableSets: [set('nop', { scope: 'project' }, [v('region', x)])] }) },
  { label: 'global set', input: (x) => ({ workspace: [], variableSets: [set('ng', { scope: 'global' }, [v('region', x)])] }) },
];

function merge(...inputs: EffectiveVariablesInput<TestVariable>[]): EffectiveVariablesInput<TestVariable> {
  return {
    workspace: inputs.flatMap((i) => i.workspace),
    variableSets: inputs.flatMap((i) => i.variableSets),
    run: inputs.flatMap((i) => i.run ?? []),
  };
}

describe('effective variables: one rule at a time', () => {
  it('uses a workspace variable when nothing else sets the key', () => {
    assert.equal(winner({ workspace: [v('region', 'ws')], variableSets: [] }), 'ws');
  });

  it('1. a priority global set overrides everything, run variables included', () => {
    const input = merge(LADDER[0]!.input('priority-global'), ...LADDER.slice(1).map((rung) => rung.input(rung.label)));
    assert.equal(winner(input), 'priority-global');
  });

  it('2. a priority organization-owned project-scoped set overrides a priority organization-owned workspace-scoped set', () => {
    assert.equal(winner(merge(LADDER[1]!.input('op'), LADDER[2]!.input('ow'))), 'op');
  });

  it('3. priority sets owned by organizations override priority sets owned by projects', () => {
    assert.equal(winner(merge(LADDER[2]!.input('org'), LADDER[3]!.input('project'))), 'org');
    assert.equal(winner(merge(LADDER[2]!.input('org'), LADDER[4]!.input('project'))), 'org');
  });

  it('4. a priority project-owned project-scoped set overrides a priority project-owned workspace-scoped set', () => {
    assert.equal(winner(merge(LADDER[4]!.input('pw'), LADDER[3]!.input('pp'))), 'pp');
  });

  it('5. every priority set overrides run variables (the command line)', () => {
    for (const rung of LADDER.slice(0, 5)) assert.equal(winner(merge(LADDER[5]!.input('run'), rung.input('priority'))), 'priority', rung.label);
  });

  it('6. run variables override workspace variables and non-priority sets', () => {
    for (const rung of LADDER.slice(6)) assert.equal(winner(merge(rung.input('other'), LADDER[5]!.input('run'))), 'run', rung.label);
  });

  it('8. workspace variables override every non-priority variable set', () => {
    for (const rung of LADDER.slice(7)) assert.equal(winner(merge(rung.input('set'), LADDER[6]!.input('ws'))), 'ws', rung.label);
  });

  it('9. a project-owned workspace-scoped set overrides an organization-owned workspace-scoped set', () => {
    assert.equal(winner(merge(LADDER[9]!.input('org'), LADDER[7]!.input('project'))), 'project');
  });

  it('10. a project-owned project-scoped set overrides organization-owned sets of any scope', () => {
    assert.equal(winner(merge(LADDER[9]!.input('org-ws'), LADDER[8]!.input('project'))), 'project');
    assert.equal(winner(merge(LADDER[10]!.input('org-prj'), LADDER[8]!.input('project'))), 'project');
  });

  it('11. an organization-owned workspace-scoped set overrides an organization-owned project-scoped set', () => {
    assert.equal(winner(merge(LADDER[10]!.input('prj'), LADDER[9]!.input('ws'))), 'ws');
  });

  it('13. a global set loses to every other source', () => {
    for (const rung of LADDER.slice(0, -1)) assert.equal(winner(merge(LADDER[11]!.input('global'), rung.input('other'))), 'other', rung.label);
  });

  it('orders every pair of sources as the table does, whatever the input order', () => {
    for (let i = 0; i < LADDER.length; i++) {
      for (let j = i + 1; j < LADDER.length; j++) {
        const strong = LADDER[i]!;
        const weak = LADDER[j]!;
        assert.equal(winner(merge(strong.input('strong'), weak.input('weak'))), 'strong', `${strong.label} over ${weak.label}`);
        assert.equal(winner(merge(weak.input('weak'), strong.input('strong'))), 'strong', `${strong.label} over ${weak.label} (reversed)`);
      }
    }
  });

  it('gives the levels 1 to 13 of the table, 6 and 7 being the run', () => {
    const levels = [
      variableSetLevel({ priority: true, owner: 'organization', scope: 'global' }),
      variableSetLevel({ priority: true, owner: 'organization', scope: 'project' }),
      variableSetLevel({ priority: true, owner: 'organization', scope: 'workspace' }),
      variableSetLevel({ priority: true, owner: 'project', scope: 'project' }),
      variableSetLevel({ priority: true, owner: 'project', scope: 'workspace' }),
      variableSetLevel({ priority: false, owner: 'project', scope: 'workspace' }),
      variableSetLevel({ priority: false, owner: 'project', scope: 'project' }),
      variableSetLevel({ priority: false, owner: 'organization', scope: 'workspace' }),
      variableSetLevel({ priority: false, owner: 'organization', scope: 'project' }),
      variableSetLevel({ priority: false, owner: 'organization', scope: 'global' }),
    ];
    assert.deepEqual(levels, [1, 2, 3, 4, 5, 9, 10, 11, 12, 13]);
  });
});

describe('effective variables: conflicts within one level', () => {
  it('takes the workspace-scoped set whose name comes first (A_Variable_Set over B_Variable_Set), whatever the input order', () => {
    const a = set('A_Variable_Set', { scope: 'workspace' }, [v('region', 'a')]);
    const b = set('B_Variable_Set', { scope: 'workspace' }, [v('region', 'b')]);
    assert.equal(winner({ workspace: [], variableSets: [a, b] }), 'a');
    assert.equal(winner({ workspace: [], variableSets: [b, a] }), 'a');
  });

  it('takes the project-scoped set whose name comes first', () => {
    const a = set('A_Variable_Set', { owner: 'project', scope: 'project' }, [v('region', 'a')]);
    const b = set('B_Variable_Set', { owner: 'project', scope: 'project' }, [v('region', 'b')]);
    assert.equal(winner({ workspace: [], variableSets: [b, a] }), 'a');
  });

  it('takes the priority set whose name comes first when two priority sets share scope and ownership', () => {
    const a = set('alpha', { priority: true, scope: 'workspace' }, [v('region', 'alpha')]);
    const b = set('beta', { priority: true, scope: 'workspace' }, [v('region', 'beta')]);
    assert.equal(winner({ workspace: [], variableSets: [b, a] }), 'alpha');
  });

  it('compares names by Unicode code point: uppercase before lowercase, no locale folding', () => {
    const upper = set('Zeta', { scope: 'workspace' }, [v('region', 'Zeta')]);
    const lower = set('alpha', { scope: 'workspace' }, [v('region', 'alpha')]);
    assert.equal(winner({ workspace: [], variableSets: [lower, upper] }), 'Zeta');
  });

  it('compares code points, not UTF-16 units: U+FF21 comes before U+1F600', () => {
    const fullwidth = set('\uFF21', { scope: 'workspace' }, [v('region', 'fullwidth')]);
    const emoji = set('\u{1F600}', { scope: 'workspace' }, [v('region', 'emoji')]);
    assert.equal(winner({ workspace: [], variableSets: [emoji, fullwidth] }), 'fullwidth');
    assert.ok(compareCodePoints('\uFF21', '\u{1F600}') < 0);
    assert.ok(compareCodePoints('ab', 'abc') < 0);
    assert.equal(compareCodePoints('same', 'same'), 0);
  });

  it('lets the name decide only within a level: a later name at a stronger level still wins', () => {
    const strong = set('zzz', { owner: 'project', scope: 'workspace' }, [v('region', 'zzz')]);
    const weak = set('aaa', { scope: 'workspace' }, [v('region', 'aaa')]);
    assert.equal(winner({ workspace: [], variableSets: [weak, strong] }), 'zzz');
  });
});

describe('effective variables: combinations', () => {
  it('keeps terraform and env variables of the same key apart', () => {
    const result = effectiveVariables({
      workspace: [v('TOKEN', 'ws-env', 'env')],
      variableSets: [set('s', { priority: true, scope: 'global' }, [v('TOKEN', 'set-tf', 'terraform')])],
    });
    assert.deepEqual(
      result.map((e) => [e.variable.category, e.variable.key, e.variable.value, e.source.kind]),
      [
        ['env', 'TOKEN', 'ws-env', 'workspace'],
        ['terraform', 'TOKEN', 'set-tf', 'variable-set'],
      ],
    );
  });

  it('counts a set applied both to the workspace and to its project once, at its strongest level', () => {
    // Not priority: workspace-scoped (11) is stronger than project-scoped (12), and beats another project-scoped set named earlier.
    const viaWorkspace = set('m', { scope: 'workspace' }, [v('region', 'm')]);
    const viaProject = set('m', { scope: 'project' }, [v('region', 'm')]);
    const other = set('a', { scope: 'project' }, [v('region', 'a')]);
    const result = effectiveVariables({ workspace: [], variableSets: [viaProject, other, viaWorkspace] });
    assert.equal(result[0]?.variable.value, 'm');
    assert.deepEqual(result[0]?.source, {
      kind: 'variable-set',
      variableSetId: 'varset-m',
      name: 'm',
      priority: false,
      owner: 'organization',
      scope: 'workspace',
    });
    assert.equal(result[0]?.overwritten.length, 1);
    // Priority: project-scoped (2) is stronger than workspace-scoped (3).
    const pWorkspace = set('p', { priority: true, scope: 'workspace' }, [v('region', 'p')]);
    const pProject = set('p', { priority: true, scope: 'project' }, [v('region', 'p')]);
    const [only] = effectiveVariables({ workspace: [], variableSets: [pWorkspace, pProject] });
    assert.equal(only?.source.kind === 'variable-set' && only.source.scope, 'project');
    assert.equal(only?.overwritten.length, 0);
  });

  it('reports what the winner overwrites, strongest first', () => {
    const result = effectiveVariables({
      workspace: [v('region', 'ws')],
      variableSets: [set('g', { scope: 'global' }, [v('region', 'global')]), set('w', { scope: 'workspace' }, [v('region', 'set')])],
      run: [v('region', 'run')],
    });
    assert.equal(result.length, 1);
    assert.equal(result[0]?.variable.value, 'run');
    assert.deepEqual(
      result[0]?.overwritten.map((c) => c.variable.value),
      ['ws', 'set', 'global'],
    );
  });

  it('returns every key once, sorted by category then key, with untouched variables kept', () => {
    const result = effectiveVariables({
      workspace: [v('b', '1'), v('A', '2', 'env')],
      variableSets: [set('s', { scope: 'workspace' }, [v('a', '3'), v('b', '4')])],
      run: [v('c', '5')],
    });
    assert.deepEqual(
      result.map((e) => `${e.variable.category}:${e.variable.key}=${e.variable.value}`),
      ['env:A=2', 'terraform:a=3', 'terraform:b=1', 'terraform:c=5'],
    );
  });

  it('returns nothing for nothing', () => {
    assert.deepEqual(effectiveVariables({ workspace: [], variableSets: [] }), []);
  });

  it('reproduces the documented precedence example (index.mdx "Precedence example")', () => {
    const s = (name: string, options: Parameters<typeof set>[1], vars: TestVariable[]) => set(name, options, vars);
    const result = effectiveVariables({
      run: [v('Region', 'us-west-2'), v('Replicas', '9')],
      workspace: [v('Var1', 'h'), v('Replicas', '1')],
      variableSets: [
        s('priority global', { priority: true, scope: 'global' }, [v('Region', 'us-east-1')]),
        s('priority org project', { priority: true, scope: 'project' }, [v('Region', 'us-east-2')]),
        s('priority org workspace', { priority: true, scope: 'workspace' }, [v('Region', 'us-west-1')]),
        s('priority project project', { priority: true, owner: 'project', scope: 'project' }, [v('Region', 'eu-east-2')]),
        s('priority project workspace', { priority: true, owner: 'project', scope: 'workspace' }, [v('Region', 'eu-west-1')]),
        s('project workspace', { owner: 'project', scope: 'workspace' }, [v('Var1', 'y'), v('Replicas', '2')]),
        s('project project', { owner: 'project', scope: 'project' }, [v('Replicas', '4')]),
        s('org workspace', { scope: 'workspace' }, [v('Var1', 'z'), v('Replicas', '3')]),
        s('org project', { scope: 'project' }, [v('Replicas', '5')]),
        s('global', { scope: 'global' }, [v('Replicas', '6')]),
      ],
    });
    assert.deepEqual(Object.fromEntries(result.map((e) => [e.variable.key, e.variable.value])), { Region: 'us-east-1', Var1: 'h', Replicas: '9' });
    const replicas = result.find((e) => e.variable.key === 'Replicas');
    assert.deepEqual(
      replicas?.overwritten.map((c) => c.variable.value),
      ['1', '2', '4', '3', '5', '6'],
    );
  });
});
