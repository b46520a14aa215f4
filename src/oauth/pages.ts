import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1f2328}',
  'label{display:block;margin-top:1rem}',
  'input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}',
  'button{margin-top:1.5rem;padding:.6rem 1rem}',
  '.error{color:#b42318}',
  'code{background:#f3f4f6;padding:0 .2rem}',
].join('');

/**
 * Headers for every page: no caching (the pages carry one-time request parameters), no framing
 * (clickjacking of the sign-in button), no referrer (the URLs carry state and codes), and a CSP whose
 * form-action also allows the CLI's loopback callback, because browsers apply form-action to the
 * redirect that follows the form post.
 */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
    "form-action 'self' http://localhost:* http://127.0.0.1:*",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; '),
} as const;

/** Sends an HTML page with the page headers. */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(html);
}

export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Terrace</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export interface SignInPageInput {
  /** This server's host, as the CLI addresses it. */
  hostname: string;
  /** The authorization request parameters, posted back unchanged as hidden fields. */
  hidden: Readonly<Record<string, string>>;
  /** Where the browser goes after sign-in (the CLI's callback), shown so the user knows what is being authorized. */
  redirectUri: string;
  username?: string;
  error?: string;
}

export function signInPage(input: SignInPageInput): string {
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const callback = new URL(input.redirectUri);
  return layout(
    'Authorize Terraform CLI',
    `<h1>Authorize Terraform CLI</h1>
<p>Terraform on this computer (listening at <code>${escapeHtml(callback.host)}</code>) asks for an API token for
<strong>${escapeHtml(input.hostname)}</strong>. Sign in to create one. It acts with all of your permissions.</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="/app/oauth2/authorize">
${hidden}
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${escapeHtml(input.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Authorize Terraform CLI</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p class="error">${escapeHtml(message)}</p>`);
}

/** Where `terraform login` sends users when it cannot use login.v1 (cli-protocol.md §7, token paste). */
export function tokensPage(hostname: string): string {
  return layout(
    'API tokens',
    `<h1>API tokens</h1>
<p>Terrace has no web page for tokens. Create a user token in one of these ways, then paste it at the
<code>terraform login</code> prompt:</p>
<ul>
<li>on the server: <code>terrace token create --user NAME</code></li>
<li>with an existing token: <code>POST https://${escapeHtml(hostname)}/api/v2/users/USER_ID/authentication-tokens</code></li>
</ul>
<p>Or run <code>terraform login ${escapeHtml(hostname)}</code> again: it signs you in with your username and password.</p>`,
  );
}

/**
 * Cross-site request forgery. The sign-in form carries no ambient authority: there is no session
 * cookie, and the password itself authenticates each post, so a forged post cannot act as the victim.
 * What a forged post could do is sign the victim's browser in as the attacker ("login CSRF") and hand
 * the attacker's code to the victim's waiting CLI; the CLI rejects that, because the attacker knows
 * neither the CLI's `state` nor its PKCE verifier. A CSRF token would add nothing to those, so the
 * defence is this check of the Origin header that browsers send on form posts (a cross-site post is
 * refused), plus frame-ancestors 'none' against clickjacking (pages.ts).
 */
export function isCrossSite(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return origin !== undefined && origin !== new URL(request.ctx.baseUrl).origin;
}
