import { execFile } from 'node:child_process';

let detected: Promise<string> | undefined;

/** `terraform version -json` of the terraform on the PATH; "latest" when there is none or it cannot be read. */
function detect(): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'terraform',
      ['version', '-json'],
      // No CLI config (the user's may be broken or absent) and no update check over the network.
      { timeout: 10_000, env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' } },
      (err, stdout) => {
        if (err) return resolve('latest');
        try {
          const version = (JSON.parse(stdout) as { terraform_version?: unknown }).terraform_version;
          resolve(typeof version === 'string' && version !== '' ? version : 'latest');
        } catch {
          resolve('latest');
        }
      },
    );
  });
}

/**
 * The default `terraform-version` of new workspaces: the installed terraform's, which is what runs
 * will use ("latest release" in workspaces.mdx). Detected once per process.
 */
export function installedTerraformVersion(): Promise<string> {
  detected ??= detect();
  return detected;
}
