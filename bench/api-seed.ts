import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';

/**
 * Bulk data for the API benchmark: `count` workspaces of one organization, each with flat tags, a
 * tag binding and three variables, written with INSERT … SELECT generate_series (seconds, not minutes,
 * at 100,000 workspaces on PGlite too). Workspace `i` (0-based) is named `<service>-<env>-<i>`.
 */

/** Every tenth workspace carries it. */
export const COMMON_TAG = 'shared';
/** Exactly RARE_COUNT workspaces carry it. */
export const RARE_TAG = 'pci';
const RARE_COUNT = 5;
/** Filler tags: workspace `i` carries `group-<i % GROUPS>`, so the tag tables hold more than the two searched tags. */
const GROUPS = 50;

const SERVICES = ['api', 'auth', 'billing', 'cache', 'cdn', 'checkout', 'dns', 'events', 'gateway', 'search'];
const ENVIRONMENTS = ['prod', 'staging', 'dev', 'qa'];
/** A `search[name]` substring: one service in SERVICES.length. */
export const NAME_SEARCH = 'billing';

/** How many of `count` seeded workspaces each filter matches. */
export function expectedMatches(count: number): { all: number; common: number; rare: number; name: number } {
  const matching = (every: number, offset = 0) => Math.ceil((count - offset) / every);
  return {
    all: count,
    common: matching(10),
    rare: Math.min(count, RARE_COUNT),
    name: matching(SERVICES.length, SERVICES.indexOf(NAME_SEARCH)),
  };
}

/** A pseudo-random id with the resource's prefix, the same for the same `i` in every statement. */
function seededId(prefix: string, i: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`${sql.lit(`${prefix}-`)} || substr(md5(${sql.lit(prefix)} || ${i}), 1, 16)`;
}

/** `(k, word), …` rows for a VALUES list. */
function indexed(words: readonly string[]) {
  return sql.join(words.map((word, k) => sql`(${sql.lit(k)}, ${word})`));
}

const i = sql.ref('i');

export async function seedWorkspaces(db: Db, organizationId: string, projectId: string, count: number): Promise<void> {
  const series = sql`generate_series(0, ${sql.lit(count - 1)}) AS i`;
  const workspaceId = seededId('ws', sql`${i}`);

  const service = sql`(VALUES ${indexed(SERVICES)}) AS s (k, word) ON s.k = i % ${sql.lit(SERVICES.length)}`;
  const environment = sql`(VALUES ${indexed(ENVIRONMENTS)}) AS e (k, word) ON e.k = i / ${sql.lit(SERVICES.length)} % ${sql.lit(ENVIRONMENTS.length)}`;

  await sql`INSERT INTO workspaces (id, organization_id, project_id, name, terraform_version)
    SELECT ${workspaceId}, ${organizationId}, ${projectId}, s.word || '-' || e.word || '-' || i, '1.11.0'
    FROM ${series} JOIN ${service} JOIN ${environment}`.execute(db);

  const groups = Array.from({ length: GROUPS }, (_, k) => `group-${k}`);
  const tags = [COMMON_TAG, RARE_TAG, ...groups].map((name) => ({ id: newId('tag'), organization_id: organizationId, name }));
  await db.insertInto('tags').values(tags).execute();
  const tagId = (name: string) => tags.find((t) => t.name === name)?.id as string;
  const rareEvery = Math.max(1, Math.floor(count / RARE_COUNT));
  await sql`INSERT INTO workspace_tags (workspace_id, tag_id)
    SELECT ${workspaceId}, t.id FROM ${series} JOIN tags t ON t.organization_id = ${organizationId} AND t.name = 'group-' || i % ${sql.lit(GROUPS)}
    UNION ALL SELECT ${workspaceId}, ${tagId(COMMON_TAG)} FROM ${series} WHERE i % 10 = 0
    UNION ALL SELECT ${workspaceId}, ${tagId(RARE_TAG)} FROM ${series} WHERE i % ${sql.lit(rareEvery)} = 0 AND i / ${sql.lit(rareEvery)} < ${sql.lit(RARE_COUNT)}`.execute(
    db,
  );

  await sql`INSERT INTO workspace_tag_bindings (id, workspace_id, key, value)
    SELECT ${seededId('tb', sql`${i}`)}, ${workspaceId}, 'env', e.word
    FROM ${series} JOIN ${environment}`.execute(db);

  await sql`INSERT INTO variables (id, workspace_id, key, value, category, hcl, version_id)
    SELECT ${seededId('var', sql`${i} || v.key`)}, ${workspaceId}, v.key, v.value, v.category, v.hcl, ${seededId('v', sql`${i} || v.key`)}
    FROM ${series} CROSS JOIN (VALUES
      ('region', 'eu-west-1', 'terraform', false),
      ('instance_count', '3', 'terraform', true),
      ('TF_LOG', 'info', 'env', false)) AS v (key, value, category, hcl)`.execute(db);

  // The steady state of a long-running server, where autovacuum has gathered statistics and set
  // the visibility map (which lets counts read indexes alone).
  await sql`VACUUM ANALYZE`.execute(db);
}
