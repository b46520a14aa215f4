import { createTransport, type Transporter } from 'nodemailer';
import type { Config } from './config.js';
import type { SmtpSettings } from './setting-values.js';

/**
 * Mail through the operator's SMTP server (TERRACE_SMTP_*): notification emails and organization
 * invitations. Sent only from queued jobs, never from a request or inside a transaction: a slow or
 * failing server delays a job, which retries.
 */

export interface Mail {
  to: readonly string[];
  subject: string;
  text: string;
  html: string;
}

/** Longest wait for the SMTP server at each step (connect, greeting, each command). */
const SMTP_TIMEOUT_MS = 15_000;

const transports = new WeakMap<SmtpSettings, Transporter>();

function transportFor(smtp: SmtpSettings): Transporter {
  let transport = transports.get(smtp);
  if (!transport) {
    transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    });
    transports.set(smtp, transport);
  }
  return transport;
}

/** Whether this server sends mail at all. */
export function isMailConfigured(config: Pick<Config, 'smtp'>): boolean {
  return config.smtp !== undefined;
}

/** Sends one mail; throws when SMTP is not configured or the server refuses it. */
export async function sendMail(config: Pick<Config, 'smtp'>, mail: Mail): Promise<void> {
  if (!config.smtp) throw new Error('no SMTP server is configured (TERRACE_SMTP_HOST or TERRACE_SMTP_URL)');
  await transportFor(config.smtp).sendMail({ from: config.smtp.from, to: [...mail.to], subject: mail.subject, text: mail.text, html: mail.html });
}
