import { createHmac } from 'node:crypto';

/**
 * Requests this server sends to addresses its users configure (run tasks, notification webhooks):
 * no redirects followed (a redirect could lead anywhere the first address could not), a timeout, and
 * a cap on how much of an answer is read.
 */

/** POSTs `body`; throws an Error naming the reason (refused, timed out, bad address) when no answer came. */
export async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // fetch says only "fetch failed": the cause names the refusal or the timeout.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    throw new Error(cause ?? (err instanceof Error ? err.message : String(err)));
  }
}

/** The first `maxBytes` of the answer's body as text; the rest is never read. */
export async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/** `raw` as a URL when it is an absolute http or https one. */
export function httpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The hex HMAC-SHA512 of `body` under `key`: how run task requests and notifications are signed. */
export function hmacSha512Hex(body: string, key: string): string {
  return createHmac('sha512', key).update(body).digest('hex');
}
