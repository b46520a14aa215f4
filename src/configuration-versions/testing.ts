import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar, Header } from 'tar';
import { Agent, fetch } from 'undici';
import type { ApiResponse, TestServer } from '../../test/harness.js';
import { WorkspaceWorld } from '../workspaces/testing.js';

/** Archives and uploads for the configuration version tests. */

/** A .tar.gz packed by node-tar from a real directory, as go-slug would: relative paths, an inner link kept as a link. */
export async function realTarball(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'terrace-cv-src-'));
  try {
    await writeFile(join(dir, 'main.tf'), 'resource "terraform_data" "a" {}\n');
    await mkdir(join(dir, 'modules', 'm'), { recursive: true });
    await writeFile(join(dir, 'modules', 'm', 'main.tf'), 'output "x" { value = 1 }\n');
    await writeFile(join(dir, 'x.auto.tfvars'), 'a = 1\n');
    await symlink('modules/m', join(dir, 'linked'));
    const chunks: Buffer[] = [];
    for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true }, ['main.tf', 'modules', 'x.auto.tfvars', 'linked'])) {
      chunks.push(Buffer.from(chunk as Buffer));
    }
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'CharacterDevice';
  body?: Buffer | string;
  linkpath?: string;
}

/** A .tar.gz written header by header, so that it can hold what no well-behaved packer writes. */
export function craftedTarball(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    new Header({ path: entry.path, mode: 0o644, size: body.length, type: entry.type ?? 'File', linkpath: entry.linkpath ?? '', mtime: new Date(0) }).encode(
      header,
      0,
    );
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/**
 * The upload suites' set-up: `world` set up and the real tarball read before the suite's tests, the
 * uploader closed after them. Read `tarball` in the tests, once the hooks have run.
 */
export function uploadSuite(server: TestServer, world: { setUp(): Promise<unknown> }): { uploader: Uploader; tarball: Buffer } {
  const suite: { uploader: Uploader; tarball: Buffer } = { uploader: new Uploader(server), tarball: Buffer.alloc(0) };
  before(async () => {
    await world.setUp();
    suite.tarball = await realTarball();
  });
  after(() => suite.uploader.close());
  return suite;
}

/** PUTs to a capability URL as the CLI does: no token, application/octet-stream. */
export class Uploader {
  private agent: Agent | undefined;

  constructor(private readonly server: TestServer) {}

  private dispatcher(): Agent {
    this.agent ??= new Agent({ connect: { ca: readFileSync(this.server.caFile) } });
    return this.agent;
  }

  async put(url: string, body: Buffer | AsyncIterable<Buffer>, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', ...headers },
      body: body as never,
      duplex: 'half',
      dispatcher: this.dispatcher(),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined, text };
  }

  /** GET with a token, returning the raw bytes (downloads). */
  async getBytes(path: string, token: string): Promise<{ status: number; bytes: Buffer; contentType: string | null }> {
    const res = await fetch(new URL(path, this.server.url), { headers: { authorization: `Bearer ${token}` }, dispatcher: this.dispatcher() });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') };
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}

/** The workspace world plus configuration version helpers. */
export class ConfigurationVersionWorld extends WorkspaceWorld {
  async createVersion(workspaceId: string, attributes: Record<string, unknown> = {}, token = this.ownerToken) {
    const res = await this.api('POST', `/workspaces/${workspaceId}/configuration-versions`, token, {
      data: { type: 'configuration-versions', attributes },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  }

  async status(id: string): Promise<string> {
    const res = await this.api('GET', `/configuration-versions/${id}`, this.ownerToken);
    assert.equal(res.status, 200, res.text);
    return res.body.data.attributes.status;
  }
}
