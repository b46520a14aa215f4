import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { randomBase58 } from '../src/ids.js';
import { md5, rawState, terraformData } from '../src/state-versions/testing.js';
import { freePort } from '../test/harness.js';
import { MB, median, progress, RssSampler } from './state-measure.js';
import { builtFile } from '../src/package-files.js';

/**
 * Upload and download of a large state through the signed URLs of a `terrace serve` in a child
 * process (issue 5, "Benchmark"), against a plain file copy of the same file, while sampling the
 * server's resident memory: streaming in and out, and the background parse, must not hold the state.
 */

/** The compiled command, run as users run it. */
const CLI = builtFile('src/cli.js');
const STARTUP_TIMEOUT_MS = 60_000;
const PROCESSING_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 100;

/** Where the server keeps the state files (TERRACE_BLOB_STORE). */
export type BlobStoreKind = 'filesystem' | 'postgres';

export interface TransferOptions {
  blobStore: BlobStoreKind;
  stateBytes: number;
  /** Resources in the state, each one instance whose `input` fills its share of the size. */
  resources: number;
  repeat: number;
}

export interface TransferResult {
  stateBytes: number;
  copyMBps: number;
  uploadMBps: number;
  downloadMBps: number;
  /** Median seconds from the end of the upload to `resources-processed`; undefined when it did not finish. */
  processingSeconds: number | undefined;
  /** Peak resident memory above the idle server's, in bytes, per phase. */
  uploadGrowth: number;
  processingGrowth: number;
  downloadGrowth: number;
}

interface ChildServer {
  child: ChildProcess;
  baseUrl: string;
  adminToken: string;
  agent: Agent;
  stop(): Promise<void>;
}

/** The key every server of one benchmark run uses: they share a database, which records its key. */
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

async function startServer(databaseUrl: string | undefined, blobStore: BlobStoreKind): Promise<ChildServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'terrace-bench-'));
  const port = await freePort();
  const adminToken = `admin-${randomBase58(40)}`;
  // A clean environment: only the settings of this benchmark.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    TERRACE_DATA_DIR: dataDir,
    TERRACE_PORT: String(port),
    TERRACE_ADMIN_TOKEN: adminToken,
    TERRACE_RATE_LIMIT: '1000000',
    TERRACE_RUNNER_SLOTS: '0',
    TERRACE_LOG_LEVEL: 'warn',
    TERRACE_ENCRYPTION_KEY: ENCRYPTION_KEY,
    TERRACE_BLOB_STORE: blobStore,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = `${stderr}${chunk}`.slice(-10_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const caFile = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`terrace serve did not start:\n${stdout}\n${stderr}`)), STARTUP_TIMEOUT_MS);
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
        const match = /^CA certificate for clients \(.*\): (.+)\n/m.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] as string);
        }
      });
      child.once('exit', (code) => reject(new Error(`terrace serve exited with ${code}:\n${stdout}\n${stderr}`)));
    });
    const agent = new Agent({ connect: { ca: readFileSync(caFile) } });
    return {
      child,
      baseUrl: `https://localhost:${port}`,
      adminToken,
      agent,
      stop: async () => {
        await agent.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function api(server: ChildServer, method: 'GET' | 'POST', path: string, status: number, body?: unknown): Promise<any> {
  const res = await request(new URL(path, server.baseUrl), {
    method,
    dispatcher: server.agent,
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/vnd.api+json', accept: 'application/vnd.api+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  if (res.statusCode !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.statusCode} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A raw state (format 4) of about `bytes` bytes with serial 1, as `terraform state pull` prints it. */
function stateDocument(bytes: number, resources: number, lineage: string): string {
  // Per resource, the pretty-printed JSON around the filler takes about 500 bytes.
  const filler = randomBytes(Math.max(1, Math.floor((bytes / resources - 500) * 0.75))).toString('base64');
  return rawState({
    serial: 1,
    lineage,
    resources: Array.from({ length: resources }, (_, i) => {
      const resource = terraformData(`r${i}`);
      return { ...resource, instances: resource.instances.map((instance) => ({ ...instance, attributes: { ...instance.attributes, input: filler } })) };
    }),
  });
}

const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / MB).toFixed(1)}`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** Waits until the version's background parse is done; its seconds, or undefined when it did not finish in time. */
async function waitProcessed(server: ChildServer, stateVersionId: string, resources: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < PROCESSING_TIMEOUT_MS) {
    const { data } = await api(server, 'GET', `/api/v2/state-versions/${stateVersionId}`, 200);
    if (data.attributes['resources-processed']) {
      const counted = data.attributes.resources.reduce((sum: number, r: { count: number }) => sum + r.count, 0);
      if (counted !== resources) throw new Error(`the parse counted ${counted} resources, not ${resources}`);
      return (performance.now() - started) / 1000;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/** `repeat` rounds of: copy the state file, upload it as a new version, wait for its parse, download it. */
export async function benchmarkTransfer(label: string, databaseUrl: string | undefined, options: TransferOptions): Promise<TransferResult> {
  const dir = mkdtempSync(join(tmpdir(), 'terrace-bench-state-'));
  const server = await startServer(databaseUrl, options.blobStore);
  try {
    const sampler = new RssSampler(server.child.pid as number);
    // Its own organization: one database may serve several transfers (one per blob store).
    const organization = `bench-${options.blobStore}`;
    await api(server, 'POST', '/api/v2/organizations', 201, {
      data: { type: 'organizations', attributes: { name: organization, email: 'bench@example.com' } },
    });
    const ws = await api(server, 'POST', `/api/v2/organizations/${organization}/workspaces`, 201, {
      data: { type: 'workspaces', attributes: { name: 'state' } },
    });
    const workspaceId: string = ws.data.id;
    await api(server, 'POST', `/api/v2/workspaces/${workspaceId}/actions/lock`, 200, { data: { type: '', attributes: { reason: 'benchmark' } } });

    const lineage = randomUUID();
    const template = stateDocument(options.stateBytes, options.resources, lineage);
    const source = join(dir, 'terraform.tfstate');
    const times = { copy: [] as number[], upload: [] as number[], download: [] as number[], processing: [] as number[] };
    let isProcessed = true;
    const growth = { upload: 0, processing: 0, download: 0 };
    const baseline = sampler.rss();
    for (let serial = 1; serial <= options.repeat; serial++) {
      const text = template.replace('"serial": 1,', `"serial": ${serial},`);
      writeFileSync(source, text);
      const size = statSync(source).size;
      const digest = md5(text);

      // The reference: a stream pipe with Node's default buffers (fs.copyFile, in the kernel, is faster still).
      const copy = join(dir, 'copy.tfstate');
      times.copy.push(await timed(() => pipeline(createReadStream(source), createWriteStream(copy))));
      rmSync(copy);

      const created = await api(server, 'POST', `/api/v2/workspaces/${workspaceId}/state-versions`, 201, {
        data: { type: 'state-versions', attributes: { serial, lineage, md5: digest } },
      });
      const versionId: string = created.data.id;
      const upload = await sampler.peakDuring(() =>
        timed(async () => {
          const res = await request(created.data.attributes['hosted-state-upload-url'], {
            method: 'PUT',
            dispatcher: server.agent,
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
            body: createReadStream(source),
          });
          const body = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`upload: ${res.statusCode} ${body.slice(0, 500)}`);
        }),
      );
      times.upload.push(upload.value);
      growth.upload = Math.max(growth.upload, upload.peak - baseline);

      const processing = await sampler.peakDuring(() => waitProcessed(server, versionId, options.resources));
      if (processing.value === undefined) isProcessed = false;
      else times.processing.push(processing.value);
      growth.processing = Math.max(growth.processing, processing.peak - baseline);

      const version = await api(server, 'GET', `/api/v2/state-versions/${versionId}`, 200);
      const downloaded = join(dir, 'downloaded.tfstate');
      const download = await sampler.peakDuring(() =>
        timed(async () => {
          const res = await request(version.data.attributes['hosted-state-download-url'], { dispatcher: server.agent });
          if (res.statusCode !== 200) throw new Error(`download: ${res.statusCode} ${(await res.body.text()).slice(0, 500)}`);
          // A 1 MiB buffer, so that the client's own writes do not hold back the server (terraform keeps the state in memory).
          await pipeline(res.body, createWriteStream(downloaded, { highWaterMark: MB }));
        }),
      );
      if (md5(readFileSync(downloaded)) !== digest) throw new Error('the downloaded state differs from the uploaded one');
      rmSync(downloaded);
      times.download.push(download.value);
      growth.download = Math.max(growth.download, download.peak - baseline);

      progress(
        `${label}: state round ${serial}: copy ${times.copy.at(-1)?.toFixed(2)} s, upload ${upload.value.toFixed(2)} s, ` +
          `parse ${processing.value?.toFixed(2) ?? 'unfinished'} s, download ${download.value.toFixed(2)} s, ` +
          `RSS peak ${signedMb(Math.max(upload.peak, processing.peak, download.peak) - baseline)} MB`,
      );
    }
    const stateBytes = statSync(source).size;
    const mbps = (seconds: number[]) => stateBytes / MB / median(seconds);
    return {
      stateBytes,
      copyMBps: mbps(times.copy),
      uploadMBps: mbps(times.upload),
      downloadMBps: mbps(times.download),
      processingSeconds: isProcessed ? median(times.processing) : undefined,
      uploadGrowth: growth.upload,
      processingGrowth: growth.processing,
      downloadGrowth: growth.download,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
