/** The addresses of the web UI's pages; every segment is a name or id, encoded. */

export function workspacesPath(org: string): string {
  return `/app/${encodeURIComponent(org)}/workspaces`;
}

/** The workspace's page: the `links.self-html` of a workspace (workspaces/serialize.ts). */
export function workspacePath(org: string, workspace: string): string {
  return `${workspacesPath(org)}/${encodeURIComponent(workspace)}`;
}

export function runPath(org: string, workspace: string, runId: string): string {
  return `${workspacePath(org, workspace)}/runs/${encodeURIComponent(runId)}`;
}

/** A tab of the workspace's settings; the empty tab is the general one. */
export function workspaceSettingsPath(org: string, workspace: string, tab = ''): string {
  return `${workspacePath(org, workspace)}/settings${tab ? `/${tab}` : ''}`;
}

/** The organization's projects list. */
export function projectsPath(org: string): string {
  return `/app/${encodeURIComponent(org)}/projects`;
}

/** An organization's settings sections: `general`, `members`, `teams`, `tokens`. */
export function orgSettingsPath(org: string, section: 'general' | 'members' | 'teams' | 'tokens'): string {
  return `/app/${encodeURIComponent(org)}/settings/${section}`;
}

export function teamPath(org: string, teamId: string): string {
  return `${orgSettingsPath(org, 'teams')}/${encodeURIComponent(teamId)}`;
}

/** The signed-in user's own pages: `profile`, `password`, `tokens`. */
export function accountPath(section: 'profile' | 'password' | 'tokens'): string {
  return `/app/account/${section}`;
}
