import assert from 'node:assert/strict';
import { unique } from '../../test/fixtures.js';
import type { ApiResponse, TestServer } from '../../test/harness.js';
import { WORKSPACE_LEVEL_PERMISSIONS } from '../auth/access-levels.js';
import { newId } from '../ids.js';
import * as teamWorkspaceStore from '../team-workspace-access/store.js';
import * as teamStore from '../teams/store.js';
import { CSRF_FIELD } from './components.js';

/** The password of the users web tests sign in as. */
export const TEST_PASSWORD = 'correct horse battery';

/** What a browser does with the web UI, over HTTPS: it keeps the cookies the server sets and posts forms. */
export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly server: TestServer) {}

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  private keepCookies(res: ApiResponse): ApiResponse {
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || /Max-Age=0/.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<ApiResponse<string>> {
    return this.keepCookies(await this.server.api('GET', path, { headers: { accept: 'text/html', ...this.cookieHeader() } }));
  }

  async post(path: string, fields: Record<string, string>): Promise<ApiResponse<string>> {
    const body = new URLSearchParams(fields).toString();
    const headers = { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader() };
    return this.keepCookies(await this.server.api('POST', path, { body, headers }));
  }

  /** Signs in through the sign-in form, as the user would; returns the CSRF token the pages carry. */
  async signIn(username: string, password = TEST_PASSWORD): Promise<string> {
    const form = await this.get('/app/sign-in');
    assert.equal(form.status, 200, form.text);
    const res = await this.post('/app/sign-in', { [CSRF_FIELD]: csrfTokenIn(form.text), next: '/app', username, password });
    assert.equal(res.status, 303, res.text);
    const page = await this.get('/app');
    assert.equal(page.status, 200, page.text);
    return csrfTokenIn(page.text);
  }
}

/** The CSRF token of the first form on a page. */
export function csrfTokenIn(html: string): string {
  const token = new RegExp(`name="${CSRF_FIELD}" value="([^"]+)"`).exec(html)?.[1];
  assert.ok(token, `no CSRF field in ${html}`);
  return token;
}

/** A new member of the organization, with TEST_PASSWORD, whose only access is a team's `read` on the workspace; returns their username. */
export async function readOnlyUser(server: TestServer, organizationId: string, workspaceId: string): Promise<string> {
  const user = await server.createUser({ password: TEST_PASSWORD });
  const db = server.database.db;
  const teamId = newId('team');
  await db
    .insertInto('organization_memberships')
    .values({ id: newId('ou'), organization_id: organizationId, user_id: user.id, status: 'active' })
    .execute();
  await teamStore.insert(db, {
    id: teamId,
    organizationId,
    now: new Date(),
    name: unique('readers'),
    visibility: 'organization',
    ssoTeamId: null,
    allowMemberTokenManagement: true,
    organizationAccess: {},
  });
  await db.insertInto('team_memberships').values({ team_id: teamId, user_id: user.id }).execute();
  await teamWorkspaceStore.insert(db, { id: newId('tws'), teamId, workspaceId, access: 'read', permissions: WORKSPACE_LEVEL_PERMISSIONS.read });
  return user.username;
}
