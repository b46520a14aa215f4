import { chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { Value } from '@sinclair/typebox/value';
import type { Log } from '../context.js';
import { adminSocketPath, isOperatorError } from './client.js';
import { type AdminRequest, AdminRequestSchema } from './requests.js';

/**
 * The admin socket: how `terrace user …`, `token …` and `secrets rotate` reach a server that owns the
 * embedded database, which a second process must not open (its writes would be lost). A Unix socket in
 * the data directory, readable and writable by the server's user only (the directory is 0700 too):
 * whoever may use it could read the database files anyway. One request per connection, JSON both ways.
 */

const MAX_REQUEST_BYTES = 64 * 1024;

/** Serves admin commands on the data directory's socket until the returned close is called. */
export async function listenAdminSocket(dataDir: string, run: (request: AdminRequest) => Promise<string>, log: Log): Promise<() => Promise<void>> {
  const path = adminSocketPath(dataDir);
  // The data directory is this server's (its lock is held), so a socket file there is a dead server's.
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', async () => {
      const answer = (status: number, body: { output: string } | { error: string }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let request: unknown;
      try {
        request = size <= MAX_REQUEST_BYTES ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        request = undefined;
      }
      if (req.method !== 'POST' || !Value.Check(AdminRequestSchema, request)) return answer(400, { error: 'not an admin command' });
      try {
        answer(200, { output: await run(request) });
      } catch (err) {
        // Anything else is the server log's, not the operator's.
        if (isOperatorError(err)) return answer(422, { error: err.message });
        log.error({ err, command: request.command }, 'admin command failed');
        answer(500, { error: `${request.command} failed; the server log has the details` });
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } catch (err) {
    // A socket path longer than the system allows (about 100 bytes) is the usual cause; the server still serves.
    log.warn({ err, path }, 'the admin socket could not be opened: admin commands cannot reach this server while it runs');
    return async () => {};
  }
  chmodSync(path, 0o600);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
