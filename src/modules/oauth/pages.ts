import type { Platform } from "../../generated/prisma/client.js";

/**
 * The pages a user sees while an app asks for access (docs/api/oauth.md, "The consent page"):
 * sign in (the platform's emailed code, through the API's own `/v1/auth/otp` routes), then allow
 * or deny the scopes the app asked for. Branded with the platform's name and logo. No outside
 * resources: the script and style are inline, allowed by a per-answer nonce.
 */
export function pageSecurityPolicy(nonce: string, redirectUris: readonly string[] = []): string {
  // A form's redirects count as its target (Chromium): allowing or denying ends on the app's redirect URI.
  const appOrigins = [...new Set(redirectUris.flatMap((uri) => URL.parse(uri)?.origin ?? []))];
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src https: http: data:",
    "connect-src 'self'",
    `form-action 'self'${appOrigins.map((o) => ` ${o}`).join("")}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** What a scope lets an app do, in words. */
export function describeScope(scope: string): string {
  const [resource, access] = scope.split(":");
  const what = (resource ?? scope).replace(/_/g, " ");
  return access === "read" ? `See ${what}` : access === "write" ? `Create, change and delete ${what}` : scope;
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f5f5f7;margin:0;padding:40px 16px;color:#1d1d1f}
main{max-width:420px;margin:0 auto;background:#fff;border-radius:12px;padding:28px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
header{display:flex;align-items:center;gap:12px;margin-bottom:16px}header img{width:40px;height:40px;border-radius:8px;object-fit:cover}
h1{font-size:1.2rem;margin:0}p{line-height:1.45}ul{padding-left:20px}li{margin:6px 0}code{font-size:.85em;color:#555}
input{width:100%;box-sizing:border-box;padding:10px;margin:6px 0 12px;border:1px solid #ccc;border-radius:6px;font-size:1rem}
button{padding:10px 16px;border-radius:6px;border:0;font-size:1rem;cursor:pointer;background:#0a66ff;color:#fff}
button.secondary{background:#e5e5ea;color:#1d1d1f}.row{display:flex;gap:8px;justify-content:flex-end;margin-top:16px}
.error{color:#c00}.hidden{display:none}`;

function layout(nonce: string, platform: Platform | null, title: string, body: string, script = ""): string {
  const brand = platform
    ? `<header>${platform.logo ? `<img src="${escapeHtml(platform.logo)}" alt="">` : ""}<h1>${escapeHtml(platform.name)}</h1></header>`
    : "<header><h1>Sign in</h1></header>";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main>${brand}${body}</main>${script ? `<script nonce="${nonce}">${script}</script>` : ""}</body></html>`;
}

function scopeList(scopes: readonly string[]): string {
  return `<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(describeScope(s))} <code>${escapeHtml(s)}</code></li>`).join("")}</ul>`;
}

export interface PageContext {
  nonce: string;
  uid: string;
  platform: Platform;
  app: { name: string; logo: string | null; redirectUris: readonly string[] };
  scopes: readonly string[];
}

/**
 * Step one: the user signs in with the platform's emailed code. The script calls the API's own
 * sign-in routes and posts the session token it gets to `/login`, which checks it like any user
 * token; without script, a token got from `POST /v1/auth/otp/verify` can be pasted.
 */
export function renderSignIn(page: PageContext, error?: string): string {
  const base = `/oauth/interaction/${encodeURIComponent(page.uid)}`;
  const body = `
<p><strong>${escapeHtml(page.app.name)}</strong> wants to use your ${escapeHtml(page.platform.name)} account. Sign in first.</p>
${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : '<p class="error hidden" id="error"></p>'}
<form id="email-form"><label>Email<input type="email" name="email" id="email" required autocomplete="email"></label>
<div class="row"><button type="submit">Send me a code</button></div></form>
<form id="code-form" class="hidden"><label>The 6-digit code we emailed you<input name="code" id="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code"></label>
<div class="row"><button type="submit">Sign in</button></div></form>
<form id="login-form" method="post" action="${base}/login"><noscript><label>Session token<input name="token"></label><div class="row"><button type="submit">Sign in</button></div></noscript>
<input type="hidden" name="token" id="token"></form>
<form method="post" action="${base}/abort"><div class="row"><button class="secondary" type="submit">Cancel</button></div></form>`;
  const script = `
const platformId = ${JSON.stringify(page.platform.id)};
const $ = (id) => document.getElementById(id);
const fail = (message) => { $("error").textContent = message; $("error").classList.remove("hidden"); };
async function call(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error?.message ?? "Something went wrong. Try again.");
  return json;
}
$("email-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try { await call("/v1/auth/otp/email", { email: $("email").value, platform_id: platformId }); $("code-form").classList.remove("hidden"); $("code").focus(); }
  catch (err) { fail(err.message); }
});
$("code-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try { const session = await call("/v1/auth/otp/verify", { email: $("email").value, token: $("code").value, platform_id: platformId }); $("token").value = session.token; $("login-form").submit(); }
  catch (err) { fail(err.message); }
});`;
  return layout(page.nonce, page.platform, `Sign in to ${page.platform.name}`, body, script);
}

/** Step two: the scopes the app asks for, to allow or deny. */
export function renderConsent(page: PageContext): string {
  const base = `/oauth/interaction/${encodeURIComponent(page.uid)}`;
  const logo = page.app.logo ? `<img src="${escapeHtml(page.app.logo)}" alt="" width="32" height="32"> ` : "";
  const body = `
<p>${logo}<strong id="app-name">${escapeHtml(page.app.name)}</strong> asks to act for you on ${escapeHtml(page.platform.name)}:</p>
${page.scopes.length > 0 ? scopeList(page.scopes) : "<p>Nothing beyond knowing who you are.</p>"}
<p>It never gets more than your own role on ${escapeHtml(page.platform.name)} allows, and you can take the access back.</p>
<div class="row">
<form method="post" action="${base}/abort"><button class="secondary" type="submit" id="deny">Deny</button></form>
<form method="post" action="${base}/confirm"><button type="submit" id="allow">Allow</button></form>
</div>`;
  return layout(page.nonce, page.platform, `Allow ${page.app.name}?`, body);
}

export function renderErrorPage(error: string, description?: string): string {
  return layout(
    "none",
    null,
    "Sign-in failed",
    `<p class="error">The request could not be completed: <code>${escapeHtml(error)}</code></p>${description ? `<p>${escapeHtml(description)}</p>` : ""}`,
  );
}
