import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { KeyMismatchError, SealError } from '../crypto/sealing.js';
import { DomainError } from '../errors.js';
import type { AdminRequest } from './requests.js';

/** The command line's side of the admin socket (admin/socket.ts): light, so that a command sent to the server starts fast. */

export const adminSocketPath = (dataDir: string) => join(dataDir, 'admin.sock');

/** An admin command the server refused or failed: its message is for the operator. */
export class AdminCommandError extends Error {}

/** Errors of an admin command that the operator can act on, shown as their message wherever the command ran. */
export function isOperatorError(err: unknown): err is Error {
  return err instanceof DomainError || err instanceof SealError || err instanceof KeyMismatchError;
}

/**
 * Runs `request` on the server listening on the data directory's admin socket; returns what the
 * command prints, or undefined when no server listens there.
 */
export function sendAdminCommand(dataDir: string, request: AdminRequest): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: adminSocketPath(dataDir), method: 'POST', path: '/', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { output?: string; error?: string };
          if (res.statusCode === 200 && typeof body.output === 'string') resolve(body.output);
          else reject(new AdminCommandError(body.error ?? `the server answered ${res.statusCode}`));
        } catch {
          reject(new AdminCommandError(`the server answered ${res.statusCode} without a result`));
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined);
      else reject(err);
    });
    req.end(JSON.stringify(request));
  });
}
