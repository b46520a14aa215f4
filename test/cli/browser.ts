import type { TestServer } from '../harness.js';

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The hidden fields of a form, as a browser would post them back. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescapeHtml(m[1] ?? '')] = unescapeHtml(m[2] ?? '');
  return fields;
}

/**
 * What the user's browser does during `terraform login`: opens the authorization URL, posts the sign-in
 * form with the credentials, and returns where the server redirects it (the CLI's callback with the code).
 */
export async function signInWithBrowser(server: TestServer, authorizeUrl: string, username: string, password: string): Promise<URL> {
  const url = new URL(authorizeUrl);
  const form = await server.api('GET', `${url.pathname}${url.search}`);
  if (form.status !== 200) throw new Error(`the authorization page answered ${form.status}: ${form.text}`);
  const res = await server.api('POST', url.pathname, {
    body: new URLSearchParams({ ...hiddenFields(form.text), username, password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
  });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`sign-in answered ${res.status}: ${res.text}`);
  return new URL(location);
}
