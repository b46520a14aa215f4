import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, it } from 'node:test';
import { assertError, assertInvalid, resourceBody, unique } from '../../test/fixtures.js';
import { forEachDatabase, TEST_JOB_BACKOFF_UNIT_MS } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';
import { DELIVER_JOB } from './lifecycle.js';
import { SmtpSink, WebhookReceiver } from './testing.js';

const sink = new SmtpSink();
await sink.start();
after(() => sink.stop());

const body = resourceBody('notification-configurations');
const RUN_TRIGGERS = ['run:created', 'run:planning', 'run:needs_attention', 'run:applying', 'run:completed', 'run:errored'];

forEachDatabase(
  'notification configurations',
  (server) => {
    const world = new RunWorld(server);
    const receiver = new WebhookReceiver();
    before(async () => {
      await world.setUp();
      await receiver.start();
    });
    after(() => receiver.stop());
    const api = (method: string, path: string, payload?: unknown, token = world.ownerToken) => world.api(method, path, token, payload);
    const ownerEmail = async () =>
      (await server.database.db.selectFrom('users').select('email').where('id', '=', world.ownerId).executeTakeFirstOrThrow()).email;
    const create = async (workspaceId: string, attributes: Record<string, unknown>, relationships?: Record<string, unknown>) => {
      const res = await api('POST', `/workspaces/${workspaceId}/notification-configurations`, body(attributes, relationships));
      assert.equal(res.status, 201, res.text);
      return res.body.data;
    };

    it('creates, verifies, lists, shows, updates and deletes; the token is never returned', async () => {
      const ws = await world.createWorkspace();
      const token = `secret-${unique('t')}`;
      const created = await create(ws.id, {
        'destination-type': 'generic',
        enabled: true,
        name: 'Webhook',
        url: `${receiver.url}/crud`,
        token,
        triggers: RUN_TRIGGERS,
      });
      assert.equal(created.type, 'notification-configurations');
      assert.match(created.id, /^nc-/);
      assert.equal(created.attributes.token, null);
      assert.deepEqual(created.attributes.triggers, RUN_TRIGGERS);
      assert.deepEqual(created.relationships.subscribable.data, { type: 'workspaces', id: ws.id });
      assert.equal(created.links.self, `/api/v2/notification-configurations/${created.id}`);
      // Enabled: the verification ("Send a test" payload) went out signed and its answer is recorded.
      const [response] = created.attributes['delivery-responses'];
      assert.equal(response.code, '200');
      assert.equal(response.successful, 'true');
      assert.equal(response.url, `${receiver.url}/crud`);
      assert.equal(response.body, 'ok');
      assert.deepEqual(response.headers['x-receiver'], ['test']);
      const verification = receiver.deliveries.find((d) => d.path === '/crud');
      assert.ok(verification);
      assert.deepEqual(verification.payload, {
        payload_version: 1,
        notification_configuration_id: created.id,
        run_url: null,
        run_id: null,
        run_message: null,
        run_created_at: null,
        run_created_by: null,
        workspace_id: null,
        workspace_name: null,
        organization_name: null,
        notifications: [{ message: 'Verification of Webhook', trigger: 'verification', run_status: null, run_updated_at: null, run_updated_by: null }],
      });
      assert.equal(verification.headers['x-tfe-notification-signature'], createHmac('sha512', token).update(verification.body).digest('hex'));

      const listed = await api('GET', `/workspaces/${ws.id}/notification-configurations`);
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.body.data.map((c: { id: string }) => c.id),
        [created.id],
      );
      assert.equal(listed.body.meta.pagination['total-count'], 1);
      const updated = await api('PATCH', `/notification-configurations/${created.id}`, body({ name: 'Renamed', triggers: ['run:errored'] }));
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.data.attributes.name, 'Renamed');
      assert.deepEqual(updated.body.data.attributes.triggers, ['run:errored']);
      // Still enabled: verified again, with the token kept.
      assert.equal(updated.body.data.attributes['delivery-responses'].length, 2);
      const reverified = receiver.deliveries.filter((d) => d.path === '/crud').at(-1);
      assert.equal(
        reverified?.headers['x-tfe-notification-signature'],
        createHmac('sha512', token)
          .update(reverified?.body ?? '')
          .digest('hex'),
      );
      const verified = await api('POST', `/notification-configurations/${created.id}/actions/verify`);
      assert.equal(verified.status, 200, verified.text);
      assert.equal(verified.body.data.attributes['delivery-responses'].length, 3);
      for (const res of [listed, updated, verified, await api('GET', `/notification-configurations/${created.id}`)]) assert.ok(!res.text.includes(token));

      assert.equal((await api('DELETE', `/notification-configurations/${created.id}`)).status, 204);
      assertError(await api('GET', `/notification-configurations/${created.id}`), 404);
      assertError(await api('GET', '/notification-configurations/nc-unknown'), 404);
    });

    it('refuses a destination that fails verification (400) and keeps its answer on update', async () => {
      const ws = await world.createWorkspace();
      receiver.refused.add('/refuses');
      const attributes = { 'destination-type': 'slack', enabled: true, name: 'Slack', url: `${receiver.url}/refuses`, triggers: [] };
      assertError(await api('POST', `/workspaces/${ws.id}/notification-configurations`, body(attributes)), 400, /404/);
      assert.equal((await api('GET', `/workspaces/${ws.id}/notification-configurations`)).body.data.length, 0);
      assertError(await api('POST', `/workspaces/${ws.id}/notification-configurations`, body({ ...attributes, url: 'http://127.0.0.1:1/closed' })), 400);
      const disabled = await create(ws.id, { ...attributes, enabled: false });
      assert.deepEqual(disabled.attributes['delivery-responses'], []);
      assertError(await api('PATCH', `/notification-configurations/${disabled.id}`, body({ enabled: true })), 400);
      const after = (await api('GET', `/notification-configurations/${disabled.id}`)).body.data.attributes;
      assert.equal(after.enabled, false);
      assert.equal(after['delivery-responses'][0].code, '404');
      assert.equal(after['delivery-responses'][0].successful, 'false');
      assertError(await api('POST', `/notification-configurations/${disabled.id}/actions/verify`), 400);
    });

    it('validates attributes with pointers', async () => {
      const ws = await world.createWorkspace();
      const path = `/workspaces/${ws.id}/notification-configurations`;
      const generic = { 'destination-type': 'generic', name: 'n', url: `${receiver.url}/v` };
      assertInvalid(await api('POST', path, body({ name: 'n', url: receiver.url })), '/data/attributes/destination-type');
      assertInvalid(await api('POST', path, body({ ...generic, 'destination-type': 'pager' })), '/data/attributes/destination-type');
      assertInvalid(await api('POST', path, body({ ...generic, name: '' })), '/data/attributes/name');
      assertInvalid(await api('POST', path, body({ ...generic, url: undefined })), '/data/attributes/url');
      assertInvalid(await api('POST', path, body({ ...generic, url: 'ftp://example.com' })), '/data/attributes/url');
      assertInvalid(await api('POST', path, body({ ...generic, triggers: ['run:created', 'run:exploded'] })), '/data/attributes/triggers/1');
      assertInvalid(await api('POST', path, body({ ...generic, triggers: ['team:change_request'] })), '/data/attributes/triggers/0');
      assertInvalid(await api('POST', path, body({ ...generic, enabled: 'yes' })), '/data/attributes/enabled');
      assertInvalid(await api('POST', path, body({ ...generic, 'email-addresses': ['a@example.com'] })), '/data/attributes/email-addresses');
      const email = { 'destination-type': 'email', name: 'mail' };
      assertInvalid(await api('POST', path, body({ ...email, url: receiver.url })), '/data/attributes/url');
      assertInvalid(await api('POST', path, body({ ...email, 'email-addresses': ['not-an-address'] })), '/data/attributes/email-addresses/0');
      const stranger = await server.createUser();
      assertInvalid(
        await api(
          'POST',
          path,
          body(email, {
            users: {
              data: [
                { type: 'users', id: world.ownerId },
                { type: 'users', id: stranger.id },
              ],
            },
          }),
        ),
        '/data/relationships/users/data/1/id',
      );
      assertInvalid(await api('POST', path, body({ ...email, 'email-all-members': true })), '/data/attributes/email-all-members');
      assertError(await api('POST', path, { data: { type: 'workspaces', attributes: generic } }), 400);
      const created = await create(ws.id, email, { users: { data: [{ type: 'users', id: world.ownerId }] } });
      assert.deepEqual(created.relationships.users.data, [{ type: 'users', id: world.ownerId }]);
      assertInvalid(
        await api('PATCH', `/notification-configurations/${created.id}`, body({ 'destination-type': 'slack' })),
        '/data/attributes/destination-type',
      );
      // The page's table spells the type in the singular.
      const singular = await api('POST', path, resourceBody('notification-configuration')(email));
      assert.equal(singular.status, 201, singular.text);
      for (let i = 2; i < 20; i++) await create(ws.id, email);
      assertInvalid(await api('POST', path, body(email)), '/data');
    });

    it('is managed by workspace admins only; others get 404', async () => {
      const ws = await world.createWorkspace();
      const created = await create(ws.id, { 'destination-type': 'email', name: 'mail' });
      const writer = await world.teamToken(ws.id, 'write');
      const admin = await world.teamToken(ws.id, 'admin');
      assertError(await api('GET', `/workspaces/${ws.id}/notification-configurations`, undefined, writer), 404);
      assertError(await api('GET', `/notification-configurations/${created.id}`, undefined, writer), 404);
      assertError(await api('DELETE', `/notification-configurations/${created.id}`, undefined, writer), 404);
      assert.equal((await api('GET', `/notification-configurations/${created.id}`, undefined, admin)).status, 200);
      assertError(await api('GET', `/notification-configurations/${created.id}`, undefined, world.strangerToken), 404);
      assertError(await api('GET', `/notification-configurations/${created.id}`, undefined, 'bad-token'), 401);
    });

    it('creates team configurations subscribed to change requests', async () => {
      const team = await api('POST', `/organizations/${world.org}/teams`, { data: { type: 'teams', attributes: { name: unique('team') } } });
      assert.ok(team.status === 201 || team.status === 200, team.text);
      const path = `/teams/${team.body.data.id}/notification-configurations`;
      const created = await api(
        'POST',
        path,
        body({ 'destination-type': 'email', name: 'team mail', triggers: ['change_request:created'], 'email-all-members': true }),
      );
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.data.relationships.subscribable.data, { type: 'teams', id: team.body.data.id });
      assert.equal(created.body.data.attributes['email-all-members'], true);
      assertInvalid(await api('POST', path, body({ 'destination-type': 'email', name: 'x', triggers: ['run:created'] })), '/data/attributes/triggers/0');
      assert.equal((await api('GET', path)).body.data.length, 1);
      assertError(await api('GET', path, undefined, world.memberToken), 404);
    });

    it('delivers each trigger of a run to every destination type with the documented payloads', async () => {
      const ws = await world.workspaceWithConfiguration();
      const token = `secret-${unique('t')}`;
      const generic = await create(ws.id, {
        'destination-type': 'generic',
        enabled: true,
        name: 'g',
        url: `${receiver.url}/generic`,
        token,
        triggers: RUN_TRIGGERS,
      });
      await create(ws.id, { 'destination-type': 'slack', enabled: true, name: 's', url: `${receiver.url}/slack`, triggers: RUN_TRIGGERS });
      await create(ws.id, { 'destination-type': 'microsoft-teams', enabled: true, name: 't', url: `${receiver.url}/teams`, triggers: RUN_TRIGGERS });
      await create(
        ws.id,
        { 'destination-type': 'email', enabled: true, name: 'e', triggers: RUN_TRIGGERS, 'email-addresses': ['ops@example.com'] },
        {
          users: { data: [{ type: 'users', id: world.ownerId }] },
        },
      );
      // A disabled configuration and one for other triggers get nothing.
      await create(ws.id, { 'destination-type': 'generic', enabled: false, name: 'off', url: `${receiver.url}/off`, triggers: RUN_TRIGGERS });
      await create(ws.id, { 'destination-type': 'generic', enabled: true, name: 'errors', url: `${receiver.url}/errors`, triggers: ['run:errored'] });

      const run = await world.createRun(ws.id, { message: 'Add queue workers' });
      await world.plan(run.id);
      assert.equal((await world.action(run.id, 'apply')).status, 202);
      await world.applyPhase(run.id);
      assert.equal(await world.status(run.id), 'applied');

      const expected = [
        ['run:created', 'pending', 'Run Created'],
        ['run:planning', 'planning', 'Run Planning'],
        ['run:needs_attention', 'planned', 'Run Needs Attention'],
        ['run:applying', 'applying', 'Run Applying'],
        ['run:completed', 'applied', 'Run Applied'],
      ];
      const deliveries = await receiver.waitForRunDeliveries('/generic', expected.length);
      const owner = (await api('GET', '/account/details')).body.data.attributes.username;
      const byTrigger = new Map(deliveries.map((d) => [d.payload.notifications[0].trigger, d]));
      for (const [trigger, status, message] of expected) {
        const delivery = byTrigger.get(trigger);
        assert.ok(delivery, `no ${trigger} delivery`);
        assert.equal(delivery.headers['x-tfe-notification-signature'], createHmac('sha512', token).update(delivery.body).digest('hex'));
        assert.equal(delivery.headers['content-type'], 'application/json');
        const { notifications, run_created_at, ...rest } = delivery.payload;
        assert.deepEqual(rest, {
          payload_version: 1,
          notification_configuration_id: generic.id,
          run_url: `https://${server.hostname}/app/${world.org}/${ws.attributes.name}/runs/${run.id}`,
          run_id: run.id,
          run_message: 'Add queue workers',
          run_created_by: owner,
          workspace_id: ws.id,
          workspace_name: ws.attributes.name,
          organization_name: world.org,
        });
        assert.equal(run_created_at, run.attributes['created-at']);
        assert.equal(notifications.length, 1);
        assert.equal(notifications[0].message, message);
        assert.equal(notifications[0].run_status, status);
        assert.match(notifications[0].run_updated_at, /^\d{4}-\d\d-\d\dT/);
      }
      // The runner's steps have nobody behind them; the owner created the run.
      assert.equal(byTrigger.get('run:created')?.payload.notifications[0].run_updated_by, owner);
      assert.equal(byTrigger.get('run:applying')?.payload.notifications[0].run_updated_by, null);

      const slack = await receiver.waitForRunDeliveries('/slack', expected.length);
      for (const delivery of slack) {
        assert.equal(delivery.headers['x-tfe-notification-signature'], undefined);
        const [attachment] = delivery.payload.attachments;
        assert.equal(attachment.title, run.id);
        assert.equal(attachment.title_link, `https://${server.hostname}/app/${world.org}/${ws.attributes.name}/runs/${run.id}`);
        assert.equal(attachment.author_name, owner);
        assert.equal(attachment.text, 'Add queue workers');
      }
      const teams = await receiver.waitForRunDeliveries('/teams', expected.length);
      for (const delivery of teams) {
        assert.equal(delivery.payload.type, 'message');
        const [card] = delivery.payload.attachments;
        assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
        assert.equal(card.content.type, 'AdaptiveCard');
        assert.ok(JSON.stringify(card.content).includes(run.id));
      }
      const mails = await sink.waitForMails((mail) => mail.text.includes(run.id), expected.length);
      assert.deepEqual(new Set(mails.flatMap((mail) => mail.to)), new Set([await ownerEmail(), 'ops@example.com']));
      assert.ok(mails.some((mail) => /Subject: Terrace: Run Needs Attention/.test(mail.text) && mail.text.includes('confirm or discard')));
      assert.equal(receiver.runDeliveries('/off').length, 0);
      assert.equal(receiver.runDeliveries('/errors').length, 0);

      // A discarded run ended early: run:errored.
      const discarded = await world.createRun(ws.id);
      await world.plan(discarded.id);
      assert.equal((await world.action(discarded.id, 'discard')).status, 202);
      const [errored] = await receiver.waitForRunDeliveries('/errors', 1);
      assert.equal(errored?.payload.run_id, discarded.id);
      assert.deepEqual(
        { ...errored?.payload.notifications[0], run_updated_at: undefined },
        { message: 'Run Discarded', trigger: 'run:errored', run_status: 'discarded', run_updated_at: undefined, run_updated_by: owner },
      );
      // Speculative plans notify nobody.
      const speculative = await world.createRun(ws.id, { 'plan-only': true });
      await world.plan(speculative.id);
      // Notifications are queued in the transaction that changed the run: once none waits, all were sent.
      await server.jobsDone(DELIVER_JOB, speculative.id);
      assert.ok(!receiver.deliveries.some((d) => d.payload.run_id === speculative.id));
    });

    it('retries a destination that fails three times, with backoff, and records each answer', async () => {
      const ws = await world.workspaceWithConfiguration();
      const created = await create(ws.id, {
        'destination-type': 'generic',
        enabled: true,
        name: 'flaky',
        url: `${receiver.url}/flaky`,
        triggers: ['run:created'],
      });
      receiver.failures.set('/flaky', 3);
      const run = await world.createRun(ws.id);
      const [delivered] = await receiver.waitForRunDeliveries('/flaky', 4, 60_000);
      const attempts = receiver.runDeliveries('/flaky');
      assert.equal(attempts.length, 4);
      assert.ok(attempts.every((a) => a.body === delivered?.body && a.payload.run_id === run.id));
      // 2, 4 and 8 units of backoff between the four tries (seconds in production).
      const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
      for (const [i, gap] of gaps.entries()) assert.ok(gap >= 2 ** (i + 1) * TEST_JOB_BACKOFF_UNIT_MS - TEST_JOB_BACKOFF_UNIT_MS / 2, `gap ${i} was ${gap} ms`);
      const responses = await (async () => {
        for (;;) {
          const attrs = (await api('GET', `/notification-configurations/${created.id}`)).body.data.attributes;
          if (attrs['delivery-responses'].length >= 5) return attrs['delivery-responses'];
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      assert.deepEqual(
        responses.map((r: { code: string }) => r.code),
        ['200', '503', '503', '503', '200'],
      );
    });

    it('delivers a notification queued while no job worker ran once one starts: a restart loses nothing', async () => {
      const ws = await world.workspaceWithConfiguration();
      await create(ws.id, { 'destination-type': 'generic', enabled: true, name: 'restart', url: `${receiver.url}/restart`, triggers: ['run:created'] });
      await server.worker.stop();
      const run = await world.createRun(ws.id);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(receiver.runDeliveries('/restart').length, 0, 'nothing is sent without a worker');
      await server.startWorker();
      const [delivered] = await receiver.waitForRunDeliveries('/restart', 1, 30_000);
      assert.equal(delivered?.payload.run_id, run.id);
    });

    it('sends the invitation mail through the SMTP server', async () => {
      const email = `${unique('invitee')}@example.com`;
      const res = await api('POST', `/organizations/${world.org}/organization-memberships`, {
        data: { type: 'organization-memberships', attributes: { email } },
      });
      assert.equal(res.status, 201, res.text);
      const [mail] = await sink.waitForMails((m) => m.to.includes(email), 1);
      assert.ok(mail?.text.includes(`https://${server.hostname}/app/invitations`));
      assert.ok(mail?.text.includes(world.org));
    });
  },
  { env: { TERRACE_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, TERRACE_SMTP_FROM: 'terrace@example.com' } },
);
