import { cloudBlock, TerraformSandbox } from '../test/cli/terraform.js';
import { type DatabaseKind, TestServer } from '../test/harness.js';
import { median, progress } from './state-measure.js';

/**
 * `terraform apply` of N `terraform_data` resources with a `cloud {}` block on a workspace in local
 * execution mode, against the same apply with no backend (issue 5, "Benchmark"). The difference is
 * what Terrace costs the CLI: the workspace lookup, the lock and the state upload. The local backend
 * rewrites and fsyncs terraform.tfstate after every resource (seen with strace: 301 fsyncs for 300
 * resources), while the cloud backend uploads it far less often, so at 1,000 resources the local
 * apply is the slower one.
 */

/** An apply of this many resources or more with Terrace may take at most 1.1× the local one; smaller ones 2×. */
const LARGE_APPLY = 1000;

/** The local 1,000-resource apply takes about 30 s on a small machine; a slower one gets room. */
const APPLY_TIMEOUT_MS = 10 * 60_000;

export interface ApplyRow {
  resources: number;
  localSeconds: number;
  cloudSeconds: number;
  ratio: number;
  target: number;
}

export function applyTarget(resources: number): number {
  return resources >= LARGE_APPLY ? 1.1 : 2;
}

/** `count` independent resources `terraform_data.r0` … (built into terraform: no provider to download). */
export function resourcesHcl(count: number): string {
  return Array.from({ length: count }, (_, i) => `resource "terraform_data" "r${i}" {\n  input = "${i}"\n}\n`).join('\n');
}

/** Seconds of one `terraform apply` in a fresh working directory, after an untimed `init`. */
export async function timedApply(tf: TerraformSandbox, name: string, config: string, resources: number): Promise<number> {
  const dir = tf.newWorkdir(name);
  tf.writeFile('main.tf', config, dir);
  const init = await tf.run(['init', '-input=false', '-no-color'], { cwd: dir, timeoutMs: APPLY_TIMEOUT_MS });
  if (init.code !== 0) throw new Error(`terraform init in ${name} failed:\n${init.output}`);
  const started = performance.now();
  const apply = await tf.run(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, timeoutMs: APPLY_TIMEOUT_MS });
  const seconds = (performance.now() - started) / 1000;
  if (apply.code !== 0 || !apply.output.includes(`Resources: ${resources} added`)) throw new Error(`terraform apply in ${name} failed:\n${apply.output}`);
  return seconds;
}

/**
 * For each size, `repeat` local and Terrace applies, interleaved so that both see the same machine;
 * the medians and their ratio. Each Terrace apply gets a new workspace, each local one a new directory.
 */
export async function benchmarkApply(kind: DatabaseKind, sizes: number[], repeat: number): Promise<ApplyRow[]> {
  const server = new TestServer(kind);
  await server.start();
  const tf = new TerraformSandbox(server.caFile);
  try {
    const owner = await server.createUser();
    const org = await server.api('POST', '/api/v2/organizations', {
      token: owner.token,
      // Every workspace of this organization runs locally: Terrace only stores the state.
      body: { data: { type: 'organizations', attributes: { name: 'bench', email: 'bench@example.com', 'default-execution-mode': 'local' } } },
    });
    if (org.status !== 201) throw new Error(`creating the organization failed: ${org.status} ${org.text}`);
    tf.writeCredentials(server.hostname, owner.token);

    const times = new Map(sizes.map((size) => [size, { local: [] as number[], cloud: [] as number[] }]));
    for (let round = 1; round <= repeat; round++) {
      for (const size of sizes) {
        const body = resourcesHcl(size);
        const entry = times.get(size) as { local: number[]; cloud: number[] };
        entry.local.push(await timedApply(tf, `local-${size}-${round}`, body, size));
        const workspace = `apply-${size}-${round}`;
        entry.cloud.push(await timedApply(tf, workspace, `${cloudBlock(server.hostname, 'bench', workspace)}${body}`, size));
        progress(`${kind}: apply ${size} round ${round}: local ${entry.local.at(-1)?.toFixed(2)} s, terrace ${entry.cloud.at(-1)?.toFixed(2)} s`);
      }
    }
    return sizes.map((size) => {
      const entry = times.get(size) as { local: number[]; cloud: number[] };
      const localSeconds = median(entry.local);
      const cloudSeconds = median(entry.cloud);
      return { resources: size, localSeconds, cloudSeconds, ratio: cloudSeconds / localSeconds, target: applyTarget(size) };
    });
  } finally {
    tf.cleanup();
    await server.stop();
  }
}
