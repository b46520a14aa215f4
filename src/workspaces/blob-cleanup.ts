import { deleteAfterCommit } from '../blobs/delete-job.js';
import type { WorkspaceId } from '../ids.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import type { Db } from '../db/database.js';
import * as phaseStore from '../runs/phase-store.js';
import { contentKeysOfWorkspaces } from '../state-versions/upload-service.js';
import * as workspaceStore from './store.js';

/** Workspaces per collection: bounded query parameters, and keys in memory, for a large organization. */
const WORKSPACES_PER_BATCH = 500;

/**
 * What deleting workspaces leaves in the blob store, where no foreign key cascades: their state,
 * configuration archives, saved plans and logs. Called in the transaction that deletes the rows,
 * before the delete (the rows name the blobs); the blobs go once it commits, and stay if it rolls back.
 */
export async function deleteBlobsAfterCommit(trx: Db, selector: { id: WorkspaceId } | { organizationId: string }): Promise<void> {
  // Locked first: no run or version of them appears between the collection and the delete.
  const workspaceIds = await workspaceStore.lockForDelete(trx, selector);
  for (let i = 0; i < workspaceIds.length; i += WORKSPACES_PER_BATCH) {
    const batch = workspaceIds.slice(i, i + WORKSPACES_PER_BATCH);
    const keys = [
      ...(await contentKeysOfWorkspaces(trx, batch)),
      ...(await configurationVersionStore.blobKeysOfWorkspaces(trx, batch)),
      ...(await phaseStore.blobKeysOfWorkspaces(trx, batch)),
    ];
    await deleteAfterCommit(trx, keys);
  }
}
