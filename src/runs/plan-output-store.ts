import type { Db } from '../db/database.js';

/** Where a finished plan's artifacts are: the saved plan the apply uses, and its JSON forms. */
export interface PlanArtifacts {
  planFileBlobKey: string;
  jsonBlobKey: string;
  redactedJsonBlobKey: string;
}

export async function setArtifacts(db: Db, planId: string, artifacts: PlanArtifacts): Promise<void> {
  await db
    .updateTable('plans')
    .set({
      plan_file_blob_key: artifacts.planFileBlobKey,
      json_blob_key: artifacts.jsonBlobKey,
      redacted_json_blob_key: artifacts.redactedJsonBlobKey,
    })
    .where('id', '=', planId)
    .execute();
}
