import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResourceCounts } from '../runs/phase-store.js';
import { countChanges, hasChanges, type ProviderSchemas, redactedPlan, type ShowPlan } from '../runs/plan-json.js';
import * as planOutputStore from '../runs/plan-output-store.js';
import type { PlanResult } from '../runs/runner-service.js';
import { banner, type PhaseJob, PhaseFailure, terraform } from './phase-job.js';
import { createRunFile, openRunFile } from './workdir.js';

/**
 * The two phases (concepts/run/remote-operations.mdx): the plan saves its plan file, its JSON forms
 * and the provider lock file as blobs; the apply applies that saved plan in a fresh directory.
 */

const PLAN_FILE = 'plan.tfplan';
const LOCK_FILE = '.terraform.lock.hcl';

function blobKeys(planId: string) {
  const base = `plans/${planId}`;
  return { planFile: `${base}/plan.tfplan`, json: `${base}/plan.json`, redacted: `${base}/plan-redacted.json`, lockFile: `${base}/terraform.lock.hcl` };
}

/** `-json` for structured output (the CLI renders it, cli-protocol.md §6.5), else plain text without colours. */
function outputFlag(job: PhaseJob): string {
  return job.json ? '-json' : '-no-color';
}

async function init(job: PhaseJob): Promise<void> {
  // Its output only matters when it fails: HCP Terraform's logs show the banner instead.
  await terraform(job, ['init', '-input=false', '-no-color'], { output: 'quiet' });
}

/** The run's plan options (run.mdx "Create a Run") as `terraform plan` flags. */
function planFlags(job: PhaseJob): string[] {
  const { run } = job;
  return [
    ...(run.isDestroy ? ['-destroy'] : []),
    ...(run.refreshOnly ? ['-refresh-only'] : []),
    ...(run.refresh ? [] : ['-refresh=false']),
    ...(run.targetAddrs ?? []).map((address) => `-target=${address}`),
    ...(run.replaceAddrs ?? []).map((address) => `-replace=${address}`),
    // A run that does not hold the workspace (speculative, saved plan) must not take its lock.
    ...(job.holdsLock ? [] : ['-lock=false']),
  ];
}

function parseJson<T>(content: Buffer, what: string): T {
  try {
    return JSON.parse(content.toString('utf8')) as T;
  } catch (err) {
    throw new PhaseFailure(`terraform printed no valid ${what}: ${(err as Error).message}`);
  }
}

export async function plan(job: PhaseJob): Promise<PlanResult> {
  const { deps, log } = job;
  if (!job.json) log.write(banner(job.terraform.version));
  await init(job);
  const planFile = join(job.workdir.root, PLAN_FILE);
  await terraform(job, ['plan', '-input=false', outputFlag(job), `-out=${planFile}`, `-var-file=${job.varsFile}`, ...planFlags(job)]);
  const shown = parseJson<ShowPlan>(await terraform(job, ['show', '-json', planFile], { output: 'stdout' }), 'JSON plan');
  const schemas = parseJson<ProviderSchemas>(await terraform(job, ['providers', 'schema', '-json'], { output: 'stdout' }), 'provider schemas');

  const keys = blobKeys(job.planId);
  await deps.blobs.put(keys.planFile, await openRunFile(job.workdir, planFile));
  await deps.blobs.put(keys.json, Readable.from([JSON.stringify(shown)]));
  await deps.blobs.put(keys.redacted, Readable.from([JSON.stringify(redactedPlan(shown, schemas))]));
  // The apply installs exactly the providers the plan used (the plan file records their checksums).
  const lockFile = join(job.dir, LOCK_FILE);
  if (await exists(lockFile)) await deps.blobs.put(keys.lockFile, await openRunFile(job.workdir, lockFile));
  await planOutputStore.setArtifacts(deps.db, job.planId, { planFileBlobKey: keys.planFile, jsonBlobKey: keys.json, redactedJsonBlobKey: keys.redacted });
  return { hasChanges: hasChanges(shown, job.run.refreshOnly), counts: countChanges(shown) };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function download(job: PhaseJob, key: string, path: string): Promise<boolean> {
  const content = await job.deps.blobs.get(key);
  if (!content) return false;
  const file = await createRunFile(path, job.sandbox.uid).catch((err: unknown) => {
    content.destroy();
    throw err;
  });
  await pipeline(content, file);
  return true;
}

/** The last complete lines of output, where the apply's summary is. */
class Tail {
  private text = '';
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-16_384);
  }
  lines(): string[] {
    return this.text.split('\n').reverse();
  }
}

/** What the apply did: its `change_summary` line (JSON) or "Apply complete! Resources: …" (text). */
function applyCounts(tail: Tail, json: boolean): ResourceCounts {
  for (const line of tail.lines()) {
    if (json && line.includes('"change_summary"')) {
      try {
        const { changes } = JSON.parse(line) as { changes?: { add?: number; change?: number; remove?: number; import?: number } };
        if (changes) return { additions: changes.add ?? 0, changes: changes.change ?? 0, destructions: changes.remove ?? 0, imports: changes.import ?? 0 };
      } catch {
        // Not the summary after all: keep looking.
      }
    }
    if (!json && line.includes('Resources:')) {
      const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
      return { additions: count('added'), changes: count('changed'), destructions: count('destroyed'), imports: count('imported') };
    }
  }
  return { additions: 0, changes: 0, destructions: 0, imports: 0 };
}

export async function apply(job: PhaseJob): Promise<{ counts: ResourceCounts }> {
  job.log.write(banner(job.terraform.version));
  const keys = blobKeys(job.planId);
  await download(job, keys.lockFile, join(job.dir, LOCK_FILE));
  await init(job);
  const planFile = join(job.workdir.root, PLAN_FILE);
  if (!(await download(job, keys.planFile, planFile))) throw new PhaseFailure('the saved plan of this run is missing');
  const tail = new Tail();
  // A saved plan carries its variables: no -var-file here.
  await terraform(job, ['apply', '-input=false', outputFlag(job), ...(job.holdsLock ? [] : ['-lock=false']), planFile], { tap: (chunk) => tail.add(chunk) });
  return { counts: applyCounts(tail, job.json) };
}
