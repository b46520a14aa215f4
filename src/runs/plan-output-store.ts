import type { Db } from '../db/database.js';

/**
 * Where a plan's artifacts are stored, sealed (blobs/sealed-blobs.ts). The plan row records all but
 * the lock file's key. The apply's errored state is kept with them, so that a key rotation re-seals it
 * too; the apply row records its key.
 */
export function artifactKeys(planId: string) {
  const base = `plans/${planId}`;
  return {
    planFile: `${base}/plan.tfplan.sealed`,
    json: `${base}/plan.json.sealed`,
    redacted: `${base}/plan-redacted.json.sealed`,
    lockFile: `${base}/terraform.lock.hcl.sealed`,
    providerSchemas: `${base}/provider-schemas.json.sealed`,
    erroredState: `${base}/errored.tfstate.sealed`,
  };
}

/** Up to `limit` ids of plans with sealed artifacts after `afterId`, in id order (a key rotation). */
export async function selectSealedPlanIds(db: Db, afterId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('plans')
    .select('id')
    .where('plan_file_blob_key', 'like', '%.sealed')
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** Where a finished plan's artifacts are: the saved plan the apply uses, and its JSON forms. */
export interface PlanArtifacts {
  planFileBlobKey: string;
  jsonBlobKey: string;
  redactedJsonBlobKey: string;
  providerSchemasBlobKey: string;
}

export async function setArtifacts(db: Db, planId: string, artifacts: PlanArtifacts): Promise<void> {
  await db
    .updateTable('plans')
    .set({
      plan_file_blob_key: artifacts.planFileBlobKey,
      json_blob_key: artifacts.jsonBlobKey,
      redacted_json_blob_key: artifacts.redactedJsonBlobKey,
      provider_schemas_blob_key: artifacts.providerSchemasBlobKey,
    })
    .where('id', '=', planId)
    .execute();
}
