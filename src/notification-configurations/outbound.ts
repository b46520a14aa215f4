import type { Config } from '../config.js';
import { hmacSha512Hex, post, readCapped } from '../outbound.js';
import type { DeliveryResponseRecord } from './store.js';

/** Sending to webhook destinations: the allow-list, the signature, and the response as `delivery-responses` records it. */

/** Longest wait for a destination to answer. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How much of an answer's body is read and kept ("Response body (may be truncated)"). */
const BODY_EXCERPT_BYTES = 4096;

export const SIGNATURE_HEADER = 'X-TFE-Notification-Signature';

/**
 * Whether TERRACE_NOTIFICATION_ALLOWED_HOSTS lets notifications go to `url`: any host when the list is
 * empty; otherwise a listed host (with or without its port), or a subdomain of a listed `*.` entry.
 */
export function isAllowedDestination(config: Pick<Config, 'notificationAllowedHosts'>, url: URL): boolean {
  const allowed = config.notificationAllowedHosts;
  if (allowed.length === 0) return true;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => {
    const [name = '', entryPort] = entry.startsWith('[') ? [entry.slice(0, entry.indexOf(']') + 1), entry.split(']:')[1]] : entry.split(':');
    if (entryPort !== undefined && entryPort !== port) return false;
    return name.startsWith('*.') ? host.endsWith(name.slice(1)) : host === name;
  });
}

/** The response headers as the API shows them: lower-case names, each with its values. */
function headersOf(response: Response): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = [value];
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  return headers;
}

/**
 * POSTs a notification body to `url`, signed with `token` when given (generic destinations); returns
 * the answer as a delivery response. Throws when no answer came (refused, timed out).
 */
export async function sendWebhook(
  config: Pick<Config, 'hostname'>,
  url: string,
  body: string,
  token: string | null,
  sentAt: Date,
): Promise<DeliveryResponseRecord> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': `Terrace/1.0 (+https://${config.hostname})` };
  if (token !== null) headers[SIGNATURE_HEADER] = hmacSha512Hex(body, token);
  const response = await post(url, headers, body, REQUEST_TIMEOUT_MS);
  return {
    url,
    body: await readCapped(response, BODY_EXCERPT_BYTES),
    code: String(response.status),
    headers: headersOf(response),
    'sent-at': sentAt.toISOString(),
    // A string, as the page's samples show it.
    successful: String(response.status >= 200 && response.status < 300),
  };
}
