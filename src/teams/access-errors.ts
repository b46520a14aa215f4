import { InvalidError } from '../errors.js';

/**
 * The errors of team workspace and project access in HCP Terraform's words, which clients compare:
 * go-tfe's TestTeamAccessesAdd expects "invalid attribute\n\nRuns is read-only when access level is
 * 'read'; use the 'custom' access level to set this attribute." (title, then detail), and the tfe
 * provider shows a second grant of the same team as "invalid attribute Team has already been taken".
 */

/** `state-versions` → `State versions`, as the service names attributes in messages. */
function humanize(wireName: string): string {
  const words = wireName.replaceAll('-', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A fine-grained attribute set with a fixed access level, which implies another value. */
export function readOnlyAttribute(wireName: string, level: string, pointer: string): InvalidError {
  return new InvalidError(`${humanize(wireName)} is read-only when access level is '${level}'; use the 'custom' access level to set this attribute.`, {
    pointer,
  });
}

/** A team that already has access to the workspace or project: one grant each, updated in place. */
export function teamAlreadyTaken(): InvalidError {
  return new InvalidError('Team has already been taken', { pointer: '/data/relationships/team' });
}
