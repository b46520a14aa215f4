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

export function projectsPath(org: string): string {
  return `/app/${encodeURIComponent(org)}/projects`;
}
