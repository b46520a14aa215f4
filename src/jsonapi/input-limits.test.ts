import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { assertInvalid, assertInvalidParameter, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { StateWorld } from '../state-versions/testing.js';
import { MAX_STRING_LENGTH, MAX_TEXT_LENGTH } from './body.js';

/** Random text: PostgreSQL compresses index entries, so only non-compressible text overflows a b-tree entry. */
const noise = (length: number) => randomBytes(length).toString('base64').slice(0, length);

forEachDatabase('input limits', (server) => {
  const world = new StateWorld(server);
  before(() => world.setUp());

  it('refuses an overlong variable set name on create and update with a 422 naming it, before the database', async () => {
    const path = `/organizations/${world.org}/varsets`;
    const long = noise(2800);
    assertInvalid(
      await world.api('POST', path, world.ownerToken, { data: { type: 'varsets', attributes: { name: long } } }),
      '/data/attributes/name',
      /at most 255/,
    );
    const created = await world.api('POST', path, world.ownerToken, { data: { type: 'varsets', attributes: { name: unique('set') } } });
    assert.equal(created.status, 201, created.text);
    const update = await world.api('PATCH', `/varsets/${created.body.data.id}`, world.ownerToken, { data: { type: 'varsets', attributes: { name: long } } });
    assertInvalid(update, '/data/attributes/name');
    const described = await world.api('PATCH', `/varsets/${created.body.data.id}`, world.ownerToken, {
      data: { type: 'varsets', attributes: { description: noise(MAX_TEXT_LENGTH + 1) } },
    });
    assertInvalid(described, '/data/attributes/description', /at most 4096/);
  });

  it('refuses an overlong team token description with a 422', async () => {
    const team = await world.api('POST', `/organizations/${world.org}/teams`, world.ownerToken, {
      data: { type: 'teams', attributes: { name: unique('team') } },
    });
    const res = await world.api('POST', `/teams/${team.body.data.id}/authentication-tokens`, world.ownerToken, {
      data: { type: 'authentication-tokens', attributes: { description: noise(4000) } },
    });
    assertInvalid(res, '/data/attributes/description');
    const fits = await world.api('POST', `/teams/${team.body.data.id}/authentication-tokens`, world.ownerToken, {
      data: { type: 'authentication-tokens', attributes: { description: noise(MAX_STRING_LENGTH) } },
    });
    assert.equal(fits.status, 201, fits.text);
  });

  it('refuses an overlong relationship id with a 422 at the id', async () => {
    const res = await world.api('POST', '/team-workspaces', world.ownerToken, {
      data: {
        type: 'team-workspaces',
        attributes: { access: 'read' },
        relationships: { workspace: { data: { type: 'workspaces', id: noise(3000) } }, team: { data: { type: 'teams', id: noise(3000) } } },
      },
    });
    assert.equal(res.status, 422, res.text);
    assert.match(res.body.errors[0].source.pointer, /^\/data\/relationships\/(workspace|team)\/data\/id$/);
  });

  it('refuses out-of-range numbers with a 422, not a database error', async () => {
    const ws = await world.createWorkspace();
    await world.lock(ws.id);
    for (const serial of [1e30, Number.MAX_SAFE_INTEGER + 2]) {
      assertInvalid(await world.createVersion(ws.id, { serial, md5: '0'.repeat(32) }), '/data/attributes/serial', /at most/);
    }
    const timeout = await world.api('PATCH', `/organizations/${world.org}`, world.ownerToken, {
      data: { type: 'organizations', attributes: { 'session-timeout': 1e30 } },
    });
    assertInvalid(timeout, '/data/attributes/session-timeout');
    assertInvalidParameter(await world.api('GET', `/organizations/${world.org}/workspaces?page[number]=1e30`, world.ownerToken), 'page[number]');
  });

  it('refuses an overlong lock reason with a 422 and leaves the workspace unlocked', async () => {
    const ws = await world.createWorkspace();
    const lock = await world.api('POST', `/workspaces/${ws.id}/actions/lock`, world.ownerToken, { reason: noise(MAX_TEXT_LENGTH + 1) });
    assertInvalid(lock, '/reason');
    assert.equal((await world.api('GET', `/workspaces/${ws.id}`, world.ownerToken)).body.data.attributes.locked, false);
  });
});
