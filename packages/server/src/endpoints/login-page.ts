/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}' +
  'label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}' +
  'button{margin:1rem .5rem 0 0;padding:.4rem 1rem}.error{color:#a00}.note{color:#666;font-size:.85rem}';

/**
 * The development login page of `GET /authorize`: a form that posts the authorization request back
 * with the user's credentials and the form's CSRF token (see LoginGuard). Every value is escaped; the
 * page is for development and tests (no sessions, no consent memory), which its footer says.
 */
export function loginPage(input: { clientName: string; scopes: string[]; hidden: Record<string, string>; error?: string }): string {
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n    ');
  const scopes = input.scopes.length > 0 ? input.scopes.map(escapeHtml).join(', ') : 'no particular scope';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in — tokenstore</title><style>${STYLE}</style></head>
<body>
  <h1>Sign in</h1>
  <p><strong>${escapeHtml(input.clientName)}</strong> asks for: ${scopes}.</p>
  ${input.error ? `<p class="error">${escapeHtml(input.error)}</p>` : ''}
  <form method="post" action="/authorize">
    ${hidden}
    <label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required>
    <label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
    <button type="submit" name="decision" value="allow">Sign in and allow</button>
    <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
  </form>
  <p class="note">tokenstore reference server — development login, users from configuration.</p>
</body></html>
`;
}

/** The page shown when the request cannot be redirected (unknown client, unregistered redirect URI). */
export function errorPage(error: string, description: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization error — tokenstore</title><style>${STYLE}</style></head>
<body>
  <h1>Authorization error</h1>
  <p class="error">${escapeHtml(error)}: ${escapeHtml(description)}</p>
  <p class="note">The request was not redirected back to the application, because its client or redirect URI could not be verified (RFC 6749 §4.1.2.1).</p>
</body></html>
`;
}
