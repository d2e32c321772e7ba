// SPDX-License-Identifier: Apache-2.0
//
// Signing the console in: the authorization code flow with PKCE (S256,
// WebCrypto) as Roster's first-party public client, the tokens kept in
// this tab's sessionStorage (a reload keeps you signed in, another tab
// signs in on its own), refresh with the refresh token, and sign-out
// through RP-initiated logout, which ends the browser session too.

// service.ConsoleClientID: the server makes this client at the first
// sign-in (GET /console/signin) and keeps it as the console needs it.
export const CLIENT_ID = "cli_0000000000000000000C0NS01E";

// Every scope a user may grant an app, and keys:write, which only the
// console may ask for (service.consoleMayAsk): what the token may
// actually do is then decided by the user's roles, exactly as for any
// other caller.
const SCOPES = "openid profile email offline_access users:read users:write:all orgs:read orgs:write " +
  "webhooks:read webhooks:write events:read audit:read keys:write";

const TOKENS = "roster.console.tokens";
const PENDING = "roster.console.pending";

// URLs relative to the page, so that a public URL with a path prefix
// works: the page is at {public-url}/console/.
export const consoleBase = new URL("./", location.href.split("#")[0]);
export const serverRoot = new URL("../", consoleBase);
const redirectURI = new URL("callback", consoleBase).href;
const tokenURL = new URL("v1/auth/token", serverRoot);

let tokens = readTokens();
let refreshing = null;

function readTokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  } catch {
    return null;
  }
}

function keep(t) {
  tokens = t;
  if (t) sessionStorage.setItem(TOKENS, JSON.stringify(t));
  else sessionStorage.removeItem(TOKENS);
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

export function signedIn() {
  return tokens !== null;
}

// claims reads the ID token's payload (for the name shown in the header;
// nothing is trusted from it: the API decides what the user may do).
export function claims() {
  try {
    const part = tokens.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

// signIn sends the browser to the authorization endpoint; back names the
// view to return to.
export async function signIn(back) {
  const verifier = randomText(32);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const state = randomText(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, back }));
  // console/signin makes sure the console's client is as this page needs
  // it, then passes the request on to /oauth2/authorize unchanged.
  const u = new URL("signin", consoleBase);
  u.search = new URLSearchParams({
    response_type: "code", client_id: CLIENT_ID, redirect_uri: redirectURI, scope: SCOPES,
    state, code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256",
  }).toString();
  location.assign(u.href);
}

// finishSignIn handles /console/callback: it checks the state, exchanges
// the code and returns the view to go on to. It throws an Error whose
// message can be shown when the sign-in failed or was refused.
export async function finishSignIn() {
  const q = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", consoleBase.href);
  if (!pending || q.get("state") !== pending.state) {
    throw new Error("This sign-in was not started here (or started in another tab). Sign in again.");
  }
  if (q.get("error")) {
    throw new Error(q.get("error_description") || q.get("error"));
  }
  keep(await tokenRequest({
    grant_type: "authorization_code", code: q.get("code") || "", redirect_uri: redirectURI,
    client_id: CLIENT_ID, code_verifier: pending.verifier,
  }));
  return pending.back || "#/users";
}

async function tokenRequest(form) {
  const r = await fetch(tokenURL, { method: "POST", body: new URLSearchParams(form) });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    throw new Error(body.error_description || body.error || `The token endpoint answered ${r.status}.`);
  }
  return {
    access_token: body.access_token, refresh_token: body.refresh_token, id_token: body.id_token || tokens?.id_token,
    expires_at: Date.now() + (body.expires_in || 300) * 1000,
  };
}

// accessToken returns a token that is not about to expire, refreshing
// first when it is; null when signed out.
export async function accessToken() {
  if (!tokens) return null;
  if (Date.now() > tokens.expires_at - 30000) await refresh();
  return tokens?.access_token ?? null;
}

// refresh rotates the tokens once, however many requests ask at the same
// time: a refresh token works only once, and a reuse would end the
// session. It signs the console out when the refresh is refused.
export function refresh() {
  if (!refreshing) {
    const rt = tokens?.refresh_token;
    refreshing = (rt ? tokenRequest({ grant_type: "refresh_token", refresh_token: rt, client_id: CLIENT_ID }) : Promise.reject(new Error("no refresh token")))
      .then(keep, () => keep(null))
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

// signOut forgets the tokens and ends the browser session at the server,
// which sends the browser back to the console's start.
export function signOut() {
  const hint = tokens?.id_token;
  keep(null);
  const u = new URL("oauth2/logout", serverRoot);
  const q = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: consoleBase.href });
  if (hint) q.set("id_token_hint", hint);
  u.search = q.toString();
  location.assign(u.href);
}
