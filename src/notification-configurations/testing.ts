import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { eventually } from '../../test/fixtures.js';

/** Shared by the notification tests: a webhook receiver and an SMTP sink on loopback. */

export interface Delivery {
  path: string;
  body: string;
  payload: any;
  headers: IncomingHttpHeaders;
  at: number;
}

/** A webhook destination: records every POST and answers 200, or 503 for the failures queued for a path, or 404 for a refused path. */
export class WebhookReceiver {
  private listener!: Server;
  url = '';
  readonly deliveries: Delivery[] = [];
  /** Answers still to fail with a 503, by path. */
  readonly failures = new Map<string, number>();
  /** Paths that answer 404 to everything. */
  readonly refused = new Set<string>();

  async start(): Promise<void> {
    this.listener = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '';
        const body = Buffer.concat(chunks).toString();
        this.deliveries.push({ path, body, payload: JSON.parse(body), headers: request.headers, at: Date.now() });
        const failures = this.failures.get(path) ?? 0;
        if (failures > 0) this.failures.set(path, failures - 1);
        const status = this.refused.has(path) ? 404 : failures > 0 ? 503 : 200;
        response.writeHead(status, { 'content-type': 'text/plain', 'x-receiver': 'test' }).end(status === 200 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve) => this.listener.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.listener.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.listener.close(resolve));
  }

  /** The deliveries to `path` that are not verifications. */
  runDeliveries(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path && !JSON.stringify(d.payload).includes('Verification of'));
  }

  /** Waits until `path` has received `count` run notifications; returns them. */
  waitForRunDeliveries(path: string, count: number, timeoutMs = 30_000): Promise<Delivery[]> {
    return eventually(() => this.runDeliveries(path), (found) => found.length >= count, `${count} deliveries to ${path}`, { timeoutMs });
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent, with quoted-printable soft breaks and escapes decoded. */
  text: string;
}

/** Undoes quoted-printable encoding well enough to search a message's text. */
function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** An SMTP server that accepts every message without authentication or TLS and keeps it. */
export class SmtpSink {
  private server!: SMTPServer;
  port = 0;
  readonly mails: ReceivedMail[] = [];

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            text: decodeQuotedPrintable(Buffer.concat(chunks).toString()),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Waits until `count` mails match; returns them. */
  waitForMails(match: (mail: ReceivedMail) => boolean, count: number, timeoutMs = 30_000): Promise<ReceivedMail[]> {
    return eventually(() => this.mails.filter(match), (found) => found.length >= count, `${count} mails`, { timeoutMs });
  }
}
