import pino from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import * as secretService from '../secrets/service.js';
import { SITE_ADMIN_USERNAME } from '../users/bootstrap.js';
import * as userService from '../users/service.js';
import * as userStore from '../users/store.js';
import type { AdminRequest } from './requests.js';

/**
 * The `terrace` admin commands, as requests: the command line parses them, then runs them on the
 * database itself or, when a server owns the embedded database, sends them to that server's admin
 * socket (admin/socket.ts), which runs them here. Each returns the text the command prints.
 */

/** A context acting as the site admin, for commands given on the machine itself. */
export async function siteAdminContext(db: Db, config: Config, blobs: BlobStore): Promise<Ctx> {
  const admin = await userStore.findByUsername(db, SITE_ADMIN_USERNAME);
  if (!admin) throw new Error('the site-admin user is missing');
  return {
    db,
    subject: { kind: 'user', userId: admin.id, username: admin.username, isSiteAdmin: true, tokenId: null },
    log: pino({ level: 'silent' }),
    config,
    blobs,
    baseUrl: `https://${config.hostname}`,
    now: () => new Date(),
    memo: new Map(),
  };
}

async function userNamed(ctx: Ctx, username: string): Promise<userStore.User> {
  const user = await userStore.findByUsername(ctx.db, username);
  if (!user) throw new NotFoundError(`no user named ${username}`);
  return user;
}

export async function runAdminCommand(ctx: Ctx, request: AdminRequest): Promise<string> {
  switch (request.command) {
    case 'user create': {
      const { username, email, password, admin } = request;
      const user = await userService.createUser(ctx, { username, email, password, isSiteAdmin: admin });
      return `Created user ${user.username} (${user.id})${user.isSiteAdmin ? ', site admin' : ''}\n`;
    }
    case 'user list': {
      const users = await userService.listUsers(ctx);
      return users.map((u) => `${u.username}\t${u.id}\t${u.email}${u.isSiteAdmin ? '\tsite admin' : ''}\n`).join('');
    }
    case 'user password': {
      const user = await userService.setPassword(ctx, request.username, request.password);
      return `Set the password of ${user.username}\n`;
    }
    case 'token create': {
      const user = await userNamed(ctx, request.user);
      return `${(await userService.createUserToken(ctx, user.id, { description: request.description })).secret}\n`;
    }
    case 'token list': {
      const user = await userNamed(ctx, request.user);
      const { items: tokens } = await userService.listUserTokens(ctx, user.id, { number: 1, size: 1000 });
      return tokens.map((t) => `${t.id}\t${t.createdAt.toISOString()}\t${t.lastUsedAt?.toISOString() ?? 'never used'}\t${t.description ?? ''}\n`).join('');
    }
    case 'token revoke':
      await userService.deleteUserToken(ctx, request.id);
      return `Revoked token ${request.id}\n`;
    case 'secrets rotate': {
      const values = await secretService.resealAll(ctx, request.batchSize);
      const artifacts = await secretService.resealPlanArtifacts(ctx, request.batchSize);
      return (
        `Re-sealed ${values.resealed} values under the current key (${values.unchanged} already were).\n` +
        `Re-sealed ${artifacts.resealed} plan artifacts under the current key (${artifacts.unchanged} already were).\n`
      );
    }
  }
}
