import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { RunWorld } from '../src/runs/testing.js';
import { base64, md5, rawState } from '../src/state-versions/testing.js';
import { TEST_PASSWORD } from '../src/web/testing.js';
import { unique } from './fixtures.js';
import { forEachDatabase, type TestServer } from './harness.js';

/**
 * Sweeps every route of the application's route table (new routes join by themselves) with malformed
 * bodies, overlong non-compressible strings, wrong types, out-of-range numbers and odd query strings,
 * as the organization's owner, with existing and unknown ids. No answer may be a 500, every error must
 * be a JSON:API error document, and a refused request must insert and delete no row.
 */

/** Random, non-compressible text (PostgreSQL compresses index entries: repeated text would fit). */
function noise(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 3)
    .toString('base64')
    .slice(0, length);
}

/** An overlong string: 3,000 to 20,000 characters, so that one body of every attribute stays under the 1 MiB body limit. */
function overlong(): string {
  return noise(3000 + Math.floor(Math.random() * 17_000));
}

/** Attributes across the API, each with a valid value: the baseline that lets a request reach its checks and the database. */
const VALID: Record<string, () => unknown> = {
  name: () => unique('fz'),
  email: () => `${unique('fz')}@example.com`,
  username: () => unique('fz'),
  key: () => `k_${randomBytes(4).toString('hex')}`,
  value: () => 'v',
  category: () => 'terraform',
  description: () => 'd',
  serial: () => 1,
  md5: () => md5('x'),
  lineage: () => 'lineage',
  access: () => 'read',
  password: () => 'correct horse battery staple',
  password_confirmation: () => 'correct horse battery staple',
  current_password: () => TEST_PASSWORD,
};

/** Every string attribute the fuzzer tries overlong, besides VALID's. */
const STRING_ATTRIBUTES = [
  ...Object.keys(VALID),
  'message',
  'comment',
  'reason',
  'sso-team-id',
  'terraform-version',
  'working-directory',
  'execution-mode',
  'source-name',
  'source-url',
  'auto-destroy-at',
  'auto-destroy-activity-duration',
  'expired-at',
  'visibility',
  'state',
  'json-state',
  'json-state-outputs',
  'owners-team-saml-role-id',
  'default-agent-pool-id',
  'agent-pool-id',
  'default-execution-mode',
  'collaborator-auth-policy',
];
const NUMBER_ATTRIBUTES = ['serial', 'session-timeout', 'session-remember', 'priority', 'page'];

/** Bodies that are not what any route reads. */
const MALFORMED_BODIES: string[] = [
  '{"data": {',
  '[]',
  'null',
  '"text"',
  '123',
  '{"data": []}',
  '{"data": null}',
  '{"data": "x"}',
  '{"data": {"type": 5}}',
  `{"data": {"type": "x", "id": ${JSON.stringify(noise(5000))}}}`,
];

/** Bodies of the route's own type with wrong shapes inside. */
function shapedBodies(type: string): unknown[] {
  const wrongTypes = Object.fromEntries(STRING_ATTRIBUTES.map((name, i) => [name, [{}, [], 12, true][i % 4]]));
  const nulls = Object.fromEntries(STRING_ATTRIBUTES.map((name) => [name, null]));
  const relationships = (data: unknown) =>
    Object.fromEntries(['workspace', 'team', 'project', 'run', 'configuration-version', 'tags', 'tag-bindings', 'vars'].map((r) => [r, data]));
  return [
    { data: { type, attributes: [] } },
    { data: { type, attributes: 'x' } },
    { data: { type, attributes: wrongTypes } },
    { data: { type, attributes: nulls } },
    { data: { type, relationships: [] } },
    { data: { type, attributes: {}, relationships: relationships({ data: { type: 'x', id: noise(4000) } }) } },
    { data: { type, attributes: {}, relationships: relationships({ data: [{ type: 'x', id: noise(4000) }, null, 5] }) } },
    { data: [{ type, id: noise(4000), attributes: { name: overlong(), key: overlong(), value: overlong() } }] },
    { reason: overlong(), comment: overlong() },
  ];
}

/** Out-of-range numbers, written as JSON text (1e400 parses to Infinity). */
function numberBodies(type: string): string[] {
  return ['1e30', '-1e400', '1.5', '9007199254740993'].map((n) => {
    const attributes = NUMBER_ATTRIBUTES.map((name) => `${JSON.stringify(name)}: ${n}`).join(', ');
    return `{"data": {"type": ${JSON.stringify(type)}, "attributes": {${attributes}}}}`;
  });
}

/** Query strings of list endpoints and the like. */
function queries(): string[] {
  const long = encodeURIComponent(noise(3000));
  return [
    '?page[number]=1e30&page[size]=-5',
    '?page[number]=99999999999999999999999&page[size]=1',
    '?page[number]=9007199254740991&page[size]=100',
    `?search[name]=${long}&q=${long}&filter[names]=${long}&search[tags]=${long}&filter[workspace][name]=${long}`,
    `?include=${long}&sort=${long}&filter[status]=${long}&filter[tagged][0][key]=${long}`,
    '?page[number]=abc&include=nothing,&filter[project][id]=%00',
  ];
}

interface Sent {
  method: string;
  url: string;
  status: number;
}

class Fuzzer {
  readonly sent: Sent[] = [];
  private writes: Record<string, number> | undefined;

  constructor(
    private readonly server: TestServer,
    private readonly token: string,
  ) {}

  /**
   * Counts the rows every table gains or loses, by triggers writing in the same transaction: a request
   * rolled back counts nothing, one that committed even one row does (cheaper than counting rows).
   */
  async start(): Promise<void> {
    const db = this.server.database.db;
    await sql`CREATE TABLE IF NOT EXISTS fuzz_writes (table_name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0)`.execute(db);
    await sql`CREATE OR REPLACE FUNCTION fuzz_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO fuzz_writes (table_name, n) VALUES (TG_TABLE_NAME, 1) ON CONFLICT (table_name) DO UPDATE SET n = fuzz_writes.n + 1;
        RETURN NULL;
      END $$`.execute(db);
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'kysely_%' AND table_name <> 'fuzz_writes'`.execute(db);
    for (const { table_name: table } of rows) {
      await sql
        .raw(`CREATE OR REPLACE TRIGGER fuzz_count_write AFTER INSERT OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION fuzz_count_write()`)
        .execute(db);
    }
  }

  /** Rows inserted or deleted so far, by table. */
  private async rowWrites(): Promise<Record<string, number>> {
    const { rows } = await sql<{ table_name: string; n: string }>`SELECT table_name, n FROM fuzz_writes ORDER BY table_name`.execute(this.server.database.db);
    return Object.fromEntries(rows.map((r) => [r.table_name, Number(r.n)]));
  }

  /** Sends one request; asserts no 5xx, a JSON:API error document for an error, and no row written by a refused request. */
  async send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; error?: any }> {
    this.writes ??= await this.rowWrites();
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await this.server.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/vnd.api+json' }),
        ...headers,
      },
      ...(payload === undefined ? {} : { payload }),
    });
    this.sent.push({ method, url: url.slice(0, 120), status: res.statusCode });
    const where = `${method} ${url.slice(0, 200)} ${payload === undefined ? '' : payload.slice(0, 200)}`;
    assert.ok(res.statusCode < 500, `${res.statusCode} for ${where}: ${res.body.slice(0, 500)}`);
    let error: any;
    // A HEAD answer has no body to check.
    if (res.statusCode >= 400 && method !== 'HEAD') {
      const type = String(res.headers['content-type']);
      // The OAuth pages speak HTML and RFC 6749 JSON by design (src/oauth/routes.ts).
      const isOAuth = type.startsWith('text/html') || (type.startsWith('application/json') && typeof res.json().error === 'string');
      if (!isOAuth) {
        assert.equal(type, 'application/vnd.api+json', `${where}: content type ${type}`);
        error = res.json().errors?.[0];
        assert.equal(error?.status, String(res.statusCode), `${where}: ${res.body.slice(0, 300)}`);
      }
    }
    if (res.statusCode >= 400) {
      assert.deepEqual(await this.rowWrites(), this.writes, `${where} answered ${res.statusCode} but wrote rows`);
    } else {
      this.writes = undefined;
    }
    return { status: res.statusCode, error };
  }
}

/** The resource type a route reads, from its own 400 ("data.type must be …"), or undefined when it reads none. */
async function discoverType(fuzzer: Fuzzer, method: string, url: string): Promise<string | undefined> {
  const { error } = await fuzzer.send(method, url, { data: { type: '__fuzz__', attributes: {} } });
  return /data\.type must be "([^"]*)"/.exec(error?.detail ?? '')?.[1];
}

/**
 * Every string attribute overlong at once; each 422 names the attribute it refused, which then gets a
 * valid value (or none), until the route accepts the body or refuses it for another reason. So every
 * attribute the route reads is tried overlong, and a required one is filled in to reach the next.
 */
async function sweepAttributes(fuzzer: Fuzzer, method: string, url: string, type: string, ids: Record<string, string>): Promise<void> {
  const pending = new Set(STRING_ATTRIBUTES);
  const valid: Record<string, unknown> = {};
  const relationships: Record<string, unknown> = {};
  for (let round = 0; round < 60; round++) {
    const attributes: Record<string, unknown> = { ...valid };
    for (const name of pending) attributes[name] = overlong();
    const { status, error } = await fuzzer.send(method, url, { data: { type, attributes, relationships } });
    if (status !== 422) return;
    const pointer: string = error?.source?.pointer ?? '';
    const attribute = /^\/data\/attributes\/([^/]+)/.exec(pointer)?.[1];
    const relationship = /^\/data\/relationships\/([^/]+)/.exec(pointer)?.[1];
    if (attribute && pending.has(attribute)) pending.delete(attribute);
    else if (attribute && !(attribute in valid) && /required/i.test(error.detail)) valid[attribute] = (VALID[attribute] ?? (() => 'x'))();
    else if (relationship && !(relationship in relationships)) {
      const wanted = /"type": "([^"]+)"/.exec(error.detail)?.[1] ?? `${relationship}s`;
      relationships[relationship] = { data: { type: wanted, id: ids[wanted] ?? 'fuzz-unknown' } };
    } else return;
  }
}

/** Fills a route's path parameters: existing ids by name (`:id` by the segment before it), or unknown ones. */
function paths(url: string, ids: Record<string, string>): { existing: string; unknown: string; long: string } {
  const fill = (pick: (param: string, before: string) => string) =>
    url
      .split('/')
      .map((segment, i, all) => (segment.startsWith(':') ? encodeURIComponent(pick(segment.slice(1), all[i - 1] ?? '')) : segment))
      .join('/');
  return {
    existing: fill((param, before) => ids[param] ?? ids[before] ?? 'fuzz-unknown'),
    unknown: fill(() => 'fuzz-unknown'),
    long: fill(() => noise(3000)),
  };
}

forEachDatabase('every route against malformed input', (server) => {
  const world = new RunWorld(server);
  const ids: Record<string, string> = {};

  before(async () => {
    await world.setUp();
    // The owner's current_password, which a password change checks before its other attributes.
    await server.givePassword(world.ownerId, TEST_PASSWORD);
    // Background jobs would write rows between a request and its check.
    await server.worker.stop();
    const ws = await world.createWorkspace();
    const other = await world.createWorkspace();
    const created = async (path: string, body: unknown) => {
      const res = await world.api('POST', path, world.ownerToken, body);
      assert.ok(res.status === 201 || res.status === 200, `${path}: ${res.text}`);
      return res.body.data;
    };
    const team = await created(`/organizations/${world.org}/teams`, { data: { type: 'teams', attributes: { name: unique('team') } } });
    const teamToken = await created(`/teams/${team.id}/authentication-tokens`, { data: { type: 'authentication-tokens', attributes: { description: 'ci' } } });
    const varset = await created(`/organizations/${world.org}/varsets`, { data: { type: 'varsets', attributes: { name: unique('set') } } });
    const setVar = await created(`/varsets/${varset.id}/relationships/vars`, {
      data: { type: 'vars', attributes: { key: 'k', value: 'v', category: 'terraform' } },
    });
    const wsVar = await created(`/workspaces/${ws.id}/vars`, { data: { type: 'vars', attributes: { key: 'k', value: 'v', category: 'terraform' } } });
    const teamWorkspace = await created('/team-workspaces', {
      data: {
        type: 'team-workspaces',
        attributes: { access: 'read' },
        relationships: { workspace: { data: { type: 'workspaces', id: ws.id } }, team: { data: { type: 'teams', id: team.id } } },
      },
    });
    const teamProject = await created('/team-projects', {
      data: {
        type: 'team-projects',
        attributes: { access: 'read' },
        relationships: { project: { data: { type: 'projects', id: world.defaultProjectId } }, team: { data: { type: 'teams', id: team.id } } },
      },
    });
    const state = rawState({ serial: 1, lineage: 'fuzz', outputs: { greeting: { value: 'hi', type: 'string' } } });
    await world.api('POST', `/workspaces/${ws.id}/actions/lock`, world.ownerToken, {});
    const version = await created(`/workspaces/${ws.id}/state-versions`, {
      data: {
        type: 'state-versions',
        attributes: {
          serial: 1,
          md5: md5(state),
          lineage: 'fuzz',
          state: base64(state),
          'json-state-outputs': base64(JSON.stringify({ greeting: { value: 'hi', type: 'string' } })),
        },
      },
    });
    await world.api('POST', `/workspaces/${ws.id}/actions/unlock`, world.ownerToken, {});
    await world.uploadedVersion(other.id);
    const run = await world.createRun(other.id);
    const members = await world.api('GET', `/organizations/${world.org}/organization-memberships`, world.ownerToken);
    Object.assign(ids, {
      organization_name: world.org,
      workspace_name: ws.attributes.name,
      workspace_id: ws.id,
      project_id: world.defaultProjectId,
      team_id: team.id,
      varset_id: varset.id,
      var_id: setVar.id,
      variable_id: wsVar.id,
      run_id: run.id,
      configuration_version_id: run.relationships['configuration-version'].data.id,
      state_version_id: version.id,
      output_id: version.relationships.outputs.data[0].id,
      user_id: world.ownerId,
      'authentication-tokens': teamToken.id,
      'team-workspaces': teamWorkspace.id,
      'team-projects': teamProject.id,
      'organization-memberships': members.body.data[0].id,
      plans: run.relationships.plan.data.id,
      applies: run.relationships.apply.data.id,
      'entitlement-sets': world.orgId,
      workspaces: ws.id,
      teams: team.id,
      projects: world.defaultProjectId,
      runs: run.id,
      'configuration-versions': run.relationships['configuration-version'].data.id,
      users: world.ownerId,
    });
  });

  it('answers every route below 500, with JSON:API errors, and writes nothing when it refuses', { timeout: 240_000 }, async () => {
    const fuzzer = new Fuzzer(server, world.ownerToken);
    await fuzzer.start();
    const routes = server.app.routeTable.routes;
    assert.ok(routes.length > 100, `only ${routes.length} routes in the table`);
    // Deletions last, the most nested first: the resources the other routes use stay until then.
    const ordered = [...routes].sort(
      (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE') || (a.method === 'DELETE' ? b.url.length - a.url.length : 0),
    );
    for (const { method, url } of ordered) {
      const path = paths(url, ids);
      await fuzzer.send(method, path.unknown);
      await fuzzer.send(method, path.long);
      // HEAD routes are Fastify's copies of the GET ones: the GET sweep covers their handlers.
      if (method === 'HEAD') continue;
      if (method === 'GET') {
        for (const query of queries()) await fuzzer.send(method, `${path.existing}${query}`);
        continue;
      }
      for (const body of MALFORMED_BODIES) await fuzzer.send(method, path.existing, body);
      await fuzzer.send(method, path.existing, 'name=x', { 'content-type': 'text/plain' });
      await fuzzer.send(method, path.existing, '<name/>', { 'content-type': 'application/xml' });
      await fuzzer.send(method, path.existing, `{"data": {"type": "x", "attributes": {"name": "${'x'.repeat(1_100_000)}"}}}`);
      const type = await discoverType(fuzzer, method, path.existing);
      if (type === undefined) continue;
      for (const body of shapedBodies(type)) await fuzzer.send(method, path.existing, body);
      for (const body of numberBodies(type)) await fuzzer.send(method, path.existing, body);
      await sweepAttributes(fuzzer, method, path.existing, type, ids);
    }
    // The sweep reached the database: some requests were refused by the limits, some accepted.
    assert.ok(fuzzer.sent.some((s) => s.status === 422));
    assert.ok(fuzzer.sent.some((s) => s.status < 300 && s.method === 'POST'));
  });

  it('answers a URL that does not decode, an unknown path and a wrong method with JSON:API errors', async () => {
    const fuzzer = new Fuzzer(server, world.ownerToken);
    await fuzzer.start();
    for (const url of ['/api/v2/organizations/%00%ff', '/api/v2/%ff', '/%c0%af']) assert.equal((await fuzzer.send('GET', url)).status, 400, url);
    assert.equal((await fuzzer.send('GET', '/api/v2/no-such-thing')).status, 404);
    const wrong = await server.app.inject({
      method: 'PUT',
      url: `/api/v2/organizations/${world.org}`,
      headers: { authorization: `Bearer ${world.ownerToken}` },
    });
    assert.equal(wrong.statusCode, 405);
    assert.equal(wrong.headers.allow, 'DELETE, GET, HEAD, PATCH');
    assert.equal(wrong.json().errors[0].status, '405');
    const media = await fuzzer.send('POST', '/api/v2/organizations', '<name/>', { 'content-type': 'application/xml' });
    assert.equal(media.status, 415);
  });
});
