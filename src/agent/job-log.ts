import { Redactor } from '../runner/redact.js';
import { SplitLineRedactor } from '../runner/split-lines.js';
import type { AgentClient } from './client.js';

/**
 * The log of the job's phase, as the agent sends it to the server: redacted here by the streaming
 * redactor (the agent knows the secrets; the server stores what it gets), which holds back what could
 * be the start of a secret, so chunk boundaries cannot split one, after the stage that removes a secret
 * terraform cut across two lines of a provisioner's output; in order, each chunk at its byte
 * offset so that a retried chunk is stored once. Chunks end at line ends where they can, for readers
 * of a running log.
 */

/** How long output waits to be sent: a few chunks a second at most, and little delay. */
const FLUSH_DELAY_MS = 200;
/** Redacted output waiting for its line's end is sent anyway past this size. */
const MAX_PENDING_BYTES = 64 * 1024;

export class JobLog {
  readonly redactor = new Redactor();
  private readonly splitLines = new SplitLineRedactor(() => this.redactor.forms);
  private pending = Buffer.alloc(0);
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private sends: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly client: AgentClient,
    private readonly path: string,
    private readonly token: string,
  ) {}

  /** Output as it arrives. */
  write(chunk: Buffer | string): void {
    this.append(this.redactor.write(this.splitLines.write(Buffer.from(chunk))));
  }

  private append(redacted: Buffer): void {
    if (redacted.length === 0) return;
    this.pending = Buffer.concat([this.pending, redacted]);
    if (this.pending.length >= MAX_PENDING_BYTES) this.flush(false);
    else this.timer ??= setTimeout(() => this.flush(false), FLUSH_DELAY_MS);
  }

  /** A line of Terrace's own. */
  line(text: string): void {
    this.write(`${text}\n`);
  }

  /**
   * Sends what is pending (already redacted): complete lines, or everything when `all` or when a line
   * grew too long. The redactor's output never ends inside a UTF-8 character, so neither does a chunk.
   */
  private flush(all: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const end = all || this.pending.length >= MAX_PENDING_BYTES ? this.pending.length : this.pending.lastIndexOf(0x0a) + 1;
    if (end === 0) return;
    const data = Buffer.from(this.pending.subarray(0, end));
    this.pending = this.pending.subarray(end);
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(false), FLUSH_DELAY_MS);
    const offset = this.offset;
    this.offset += data.length;
    this.sends = this.sends.then(async () => {
      if (this.failure) return;
      try {
        await this.client.send({ method: 'PUT', path: this.path, token: this.token, query: { offset: String(offset) }, body: data }).then((r) => r.body.dump());
      } catch (err) {
        // Later chunks would leave a gap: the log stops here, and close() reports it.
        this.failure = err;
      }
    });
  }

  /** Sends the rest; throws when part of the log could not be sent. */
  async close(): Promise<void> {
    this.append(this.redactor.write(this.splitLines.end()));
    this.append(this.redactor.end());
    this.flush(true);
    await this.sends;
    if (this.failure) throw this.failure;
  }
}
