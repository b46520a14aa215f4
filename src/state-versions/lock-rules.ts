import type { Db } from '../db/database.js';
import type { WorkspaceId } from '../ids.js';
import { PreconditionFailedError } from '../errors.js';
import * as stateVersionStore from './store.js';

/** What the workspace lock owes to state uploads (state-versions.mdx "State Version Status"). */

/**
 * A workspace cannot be unlocked while its latest state version waits for its upload. A non-409 error
 * whose text contains "latest state version is still pending": the CLI retries the unlock on it, and
 * would turn a 409 into "already unlocked" (cli-protocol.md §5.3).
 */
export async function assertNoPendingUpload(db: Db, workspaceId: WorkspaceId): Promise<void> {
  if (await stateVersionStore.hasPending(db, workspaceId)) {
    throw new PreconditionFailedError(`cannot unlock workspace ${workspaceId}: the latest state version is still pending (its state has not been uploaded)`);
  }
}

/**
 * A forced unlock gives up the uploads the lock protected: their versions are discarded, so that a
 * failed upload (after which the CLI keeps the lock on purpose, cli-protocol.md §5.3) does not block
 * every later unlock.
 */
export async function discardPendingUploads(db: Db, workspaceId: WorkspaceId): Promise<void> {
  await stateVersionStore.discardPending(db, workspaceId);
}
