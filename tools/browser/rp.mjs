// SPDX-License-Identifier: Apache-2.0
//
// A relying party built on openid-client 6 against a running Roster:
// discovery, the authorization code flow with PKCE through the hosted
// pages (their forms filled in with fetch and a cookie jar, no browser),
// the ID token checked by openid-client (signature against the JWKS,
// issuer, audience, nonce) and userinfo. cmd/roster/browser_test.go runs
// it; it prints the outcome as one JSON line and exits non-zero on any
// failure.
//
// Environment: ROSTER_ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
// USERNAME, PASSWORD.
import * as client from "openid-client";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
};

// A cookie jar of one site: name → value, from Set-Cookie answers.
const jar = new Map();
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
function keepCookies(res) {
  for (const c of res.headers.getSetCookie()) {
    const [pair, ...attrs] = c.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const gone = attrs.some((a) => /^\s*max-age=(0|-)/i.test(a));
    if (gone) jar.delete(name);
    else jar.set(name, pair.slice(eq + 1).trim());
  }
}

// send fetches without following redirects, with and into the jar.
async function send(url, init = {}) {
  const res = await fetch(url, { ...init, redirect: "manual", headers: { ...init.headers, cookie: cookieHeader() } });
  keepCookies(res);
  return res;
}

const unescape = (s) => s.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

// The page's one POST form: its action and hidden inputs.
function pageForm(html) {
  const m = html.match(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/);
  if (!m) throw new Error(`no form on the page: ${html.slice(0, 500)}`);
  const fields = {};
  for (const [, attrs] of m[2].matchAll(/<input ([^>]*)>/g)) {
    const a = Object.fromEntries([...attrs.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, k, v]) => [k, unescape(v)]));
    if (a.type === "hidden") fields[a.name] = a.value;
  }
  return { action: unescape(m[1]), fields };
}

// submit fills in a page's form and posts it.
async function submit(base, html, values) {
  const { action, fields } = pageForm(html);
  return send(new URL(action, base), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...fields, ...values }),
  });
}

async function main() {
  const issuer = new URL(env("ROSTER_ISSUER"));
  const redirectURI = env("REDIRECT_URI");
  const config = await client.discovery(issuer, env("CLIENT_ID"), env("CLIENT_SECRET"), client.ClientSecretBasic(env("CLIENT_SECRET")), {
    execute: [client.allowInsecureRequests], // the test server is plain http on loopback
  });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authURL = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope: "openid profile email",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });

  // Through the pages: sign in, allow, and the redirect back.
  let res = await send(authURL);
  if (res.status !== 200) throw new Error(`authorization endpoint: ${res.status}`);
  const signIn = await res.text();
  res = await submit(authURL, signIn, { username: env("USERNAME"), password: env("PASSWORD") });
  const pages = [];
  while (res.status === 200) {
    const html = await res.text();
    if (!html.includes('name="consent"')) throw new Error(`unexpected page: ${html.slice(0, 500)}`);
    pages.push("consent");
    res = await submit(authURL, html, { consent: "allow" });
  }
  const location = res.headers.get("location");
  if (!location || !location.startsWith(redirectURI)) throw new Error(`not redirected back: ${res.status} ${location}`);

  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log(JSON.stringify({ issuer: config.serverMetadata().issuer, pages, claims, userinfo }));
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  if (err?.cause) console.error("cause:", err.cause);
  process.exit(1);
});
