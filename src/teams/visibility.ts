import { type RawBuilder, sql } from 'kysely';

/**
 * The SQL condition "the caller sees this team" for a caller without access to secret teams: the
 * organization-visible teams, and the secret ones among `secretOnes` (those the caller is in,
 * teams.mdx). `alias` names the teams table in the query.
 * @example query.where(teamVisibleTo('t', filter.visibleWithSecret))
 */
export function teamVisibleTo(alias: string, secretOnes: readonly string[]): RawBuilder<boolean> {
  const visible = sql<boolean>`${sql.ref(`${alias}.visibility`)} = 'organization'`;
  return secretOnes.length > 0 ? sql<boolean>`(${visible} or ${sql.ref(`${alias}.id`)} in (${sql.join(secretOnes)}))` : visible;
}

/** The same rule for a team already loaded; `secretOnes` undefined: the caller sees every team. */
export function teamSeen(team: { id: string; visibility: string }, secretOnes: readonly string[] | undefined): boolean {
  return team.visibility === 'organization' || secretOnes === undefined || secretOnes.includes(team.id);
}
