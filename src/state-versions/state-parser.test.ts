import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outputTypeName } from './state-file.js';
import { parseState, StateParseError, shortProvider } from './state-parser.js';

/** Feeds `text` in chunks of `size` bytes, splitting tokens and multi-byte characters. */
function chunks(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const STATE = JSON.stringify({
  version: 4,
  terraform_version: '1.11.4',
  serial: 7,
  lineage: 'l',
  outputs: {
    name: { value: 'Zoë', type: 'string' },
    secret: { value: { k: 1 }, type: ['object', { k: 'number' }], sensitive: true },
  },
  resources: [
    {
      mode: 'managed',
      type: 'random_pet',
      name: 'animal',
      provider: 'provider["registry.terraform.io/hashicorp/random"]',
      instances: [{ schema_version: 0, attributes: { id: 'puma' } }],
    },
    {
      module: 'module.vpc',
      mode: 'managed',
      type: 'aws_subnet',
      name: 'public',
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [
        { index_key: 0, attributes: { id: 'a' } },
        { index_key: 1, attributes: { id: 'b' } },
      ],
    },
    {
      mode: 'managed',
      type: 'terraform_data',
      name: 'each',
      provider: 'provider["terraform.io/builtin/terraform"]',
      instances: [{ index_key: 'k', attributes: { id: 'c' } }],
    },
    {
      mode: 'data',
      type: 'terraform_remote_state',
      name: 'other',
      provider: 'provider["terraform.io/builtin/terraform"]',
      instances: [{ attributes: { backend: 'remote' } }],
    },
  ],
  check_results: null,
});

describe('state parser', () => {
  it('summarizes resources, providers and modules as TFE shows them, in any chunking', async () => {
    for (const size of [1, 7, 4096]) {
      const parsed = await parseState(chunks(STATE, size));
      assert.equal(parsed.stateVersion, 4);
      assert.equal(parsed.terraformVersion, '1.11.4');
      assert.deepEqual(parsed.resources, [
        { name: 'animal', type: 'random_pet', count: 1, module: 'root', provider: 'provider["registry.terraform.io/hashicorp/random"]' },
        { name: 'public', type: 'aws_subnet', count: 2, module: 'module.vpc', provider: 'provider["registry.terraform.io/hashicorp/aws"]' },
        { name: 'each', type: 'terraform_data', count: 1, module: 'root', provider: 'provider["terraform.io/builtin/terraform"]' },
        { name: 'other', type: 'data.terraform_remote_state', count: 1, module: 'root', provider: 'provider["terraform.io/builtin/terraform"]' },
      ]);
      assert.deepEqual(parsed.modules, {
        root: { 'random-pet': 1, 'terraform-data': 1, 'data.terraform-remote-state': 1 },
        'module.vpc': { 'aws-subnet': 2 },
      });
      assert.deepEqual(parsed.providers['provider["terraform.io/builtin/terraform"]'], { 'terraform-data': 1, 'data.terraform-remote-state': 1 });
      assert.deepEqual(parsed.outputs, [
        { name: 'name', sensitive: false, value: 'Zoë', detailedType: 'string' },
        { name: 'secret', sensitive: true, value: { k: 1 }, detailedType: ['object', { k: 'number' }] },
      ]);
    }
  });

  it('lists managed instances with addresses, short providers and stable hashes; data sources are not managed', async () => {
    const parsed = await parseState(chunks(STATE, 13));
    assert.deepEqual(
      parsed.instances.map(({ hash: _, ...rest }) => rest),
      [
        { address: 'random_pet.animal', name: 'animal', module: 'root', provider: 'hashicorp/random', providerType: 'random_pet', nameIndex: null },
        {
          address: 'module.vpc.aws_subnet.public[0]',
          name: 'public',
          module: 'module.vpc',
          provider: 'hashicorp/aws',
          providerType: 'aws_subnet',
          nameIndex: '0',
        },
        {
          address: 'module.vpc.aws_subnet.public[1]',
          name: 'public',
          module: 'module.vpc',
          provider: 'hashicorp/aws',
          providerType: 'aws_subnet',
          nameIndex: '1',
        },
        {
          address: 'terraform_data.each["k"]',
          name: 'each',
          module: 'root',
          provider: 'terraform.io/builtin/terraform',
          providerType: 'terraform_data',
          nameIndex: 'k',
        },
      ],
    );
    const again = await parseState([STATE]);
    assert.deepEqual(
      again.instances.map((i) => i.hash),
      parsed.instances.map((i) => i.hash),
    );
    const changed = await parseState([STATE.replace('"puma"', '"lion"')]);
    assert.notEqual(changed.instances[0]?.hash, parsed.instances[0]?.hash);
    assert.equal(changed.instances[1]?.hash, parsed.instances[1]?.hash);
  });

  it('rejects content that is not one JSON document with StateParseError', async () => {
    for (const bad of ['not json', '{"version": 4', `${STATE} {}`, '{"version": 4}}']) {
      await assert.rejects(parseState(chunks(bad, 5)), StateParseError, JSON.stringify(bad.slice(0, 20)));
    }
  });

  it('reads empty content as an empty state, as the CLI reads an empty download (cli-protocol.md §5.1)', async () => {
    const parsed = await parseState([]);
    assert.deepEqual([parsed.stateVersion, parsed.outputs, parsed.instances], [null, [], []]);
  });

  it('shortens public registry providers only', () => {
    assert.equal(shortProvider('provider["registry.terraform.io/hashicorp/null"]'), 'hashicorp/null');
    assert.equal(shortProvider('module.m.provider["example.com/acme/thing"]'), 'example.com/acme/thing');
  });

  it('names output types by their JSON kind', () => {
    assert.equal(outputTypeName('string', 'x'), 'string');
    assert.equal(outputTypeName('bool', true), 'boolean');
    assert.equal(outputTypeName(['map', 'string'], {}), 'object');
    assert.equal(outputTypeName(['set', 'number'], [1]), 'array');
    assert.equal(outputTypeName(null, [1]), 'array');
    assert.equal(outputTypeName(null, 3), 'number');
    assert.equal(outputTypeName('dynamic', null), 'null');
  });
});

describe('names too long for an index', () => {
  it('leaves out an output whose name is too long, and cuts a long address to a unique one that still counts', async () => {
    const key = (c: string) => `${c}${'é'.repeat(3000)}`;
    const state = JSON.stringify({
      version: 4,
      outputs: { [key('o')]: { value: 1, type: 'number' }, short: { value: 2, type: 'number' } },
      resources: [
        {
          mode: 'managed',
          type: 'terraform_data',
          name: 'each',
          provider: 'provider["terraform.io/builtin/terraform"]',
          instances: [
            { index_key: key('a'), attributes: {} },
            { index_key: key('b'), attributes: {} },
            { index_key: 'x', attributes: {} },
          ],
        },
      ],
    });
    const parsed = await parseState([state]);
    assert.deepEqual(
      parsed.outputs.map((o) => o.name),
      ['short'],
    );
    const addresses = parsed.instances.map((i) => i.address);
    assert.equal(new Set(addresses).size, 3);
    for (const address of addresses) assert.ok(Buffer.byteLength(address) <= 2000, `${Buffer.byteLength(address)} bytes`);
    assert.equal(addresses[2], 'terraform_data.each["x"]');
  });
});
