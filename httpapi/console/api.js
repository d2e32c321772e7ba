// SPDX-License-Identifier: Apache-2.0
//
// Calls to the public /v1 API with the signed-in user's token: the
// console has no other way in.

import { accessToken, refresh, serverRoot } from "./auth.js";

// Answer is what a call gives back: the status, the parsed body (a
// resource, a list or a problem document) and the headers.
export class Answer {
  constructor(status, body, headers) {
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  // problemText is the problem document's words for a person.
  get problemText() {
    const p = this.body || {};
    return p.detail || p.title || `The server answered ${this.status}.`;
  }
}

// SignedOut is thrown when the session has ended (the token was refused
// and could not be refreshed).
export class SignedOut extends Error {}

// api calls method path (relative to the server, e.g. "v1/users") and
// returns an Answer. A 401 refreshes the token once and tries again.
// signal aborts the call (an AbortError is thrown then).
export async function api(method, path, { body, headers = {}, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken();
    if (!token) throw new SignedOut();
    const h = { Accept: "application/json", Authorization: `Bearer ${token}`, ...headers };
    let payload;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h["Content-Type"] ??= "application/json";
    }
    const r = await fetch(new URL(path, serverRoot), { method, headers: h, body: payload, signal });
    if (r.status === 401 && attempt === 0) {
      await refresh();
      continue;
    }
    if (r.status === 401) throw new SignedOut();
    const text = await r.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { detail: text };
    }
    return new Answer(r.status, parsed, r.headers);
  }
}

// query builds "path?k=v…" leaving out empty values.
export function query(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== "" && v != null) q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
