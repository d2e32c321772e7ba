// SPDX-License-Identifier: Apache-2.0
//
// API keys: the signed-in user's keys and those of the users it
// administers; a new key with the scopes the user may give (those its
// roles allow and the console's token holds: the API refuses more
// anyway), its secret shown once; revoking one.

import { api, query } from "./api.js";
import { $, button, listPage, when } from "./dom.js";
import { checked, choices, clearErrors, field, input, showErrors } from "./editor.js";
import { hideSecret, showSecret } from "./secret.js";

// RANK_SCOPES are the API scopes a key of a user whose best role is the
// key may hold (roster.ScopesForRank), less scim, which the console's
// token does not hold and so cannot hand on.
const MEMBER = ["users:read", "users:write:self", "orgs:read", "events:read", "keys:write"];
const RANK_SCOPES = {
  member: MEMBER,
  manager: [...MEMBER.slice(0, 2), "users:write:members", ...MEMBER.slice(2)],
  admin: ["users:read", "users:write:self", "users:write:members", "users:write:all", "orgs:read", "orgs:write",
    "webhooks:read", "webhooks:write", "events:read", "audit:read", "keys:write"],
};
RANK_SCOPES.owner = RANK_SCOPES.admin;
const RANKS = ["member", "manager", "admin", "owner"];

let onErr = () => {};
let scopesBox = null;
let nextCursor = null;

export function initKeys(onError) {
  onErr = onError;
  $("key-fields").replaceChildren(...keyFields());
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    create().catch(onErr);
  });
  $("keys-more").addEventListener("click", () => loadKeys(nextCursor).catch(onErr));
}

// showKeys opens the view: the form with the scopes the user may give,
// and the first page of keys. A secret shown before is gone.
export async function showKeys(onError) {
  onErr = onError;
  hideSecret($("key-secret"));
  try {
    const me = await api("GET", "v1/users/me");
    const scopes = me.ok ? RANK_SCOPES[bestRole(me.body)] || [] : [];
    scopesBox = choices("Scopes (none ticked: all your sign-in holds, within the user's roles)", "scopes", scopes);
    $("key-scopes").replaceChildren(scopesBox);
    await loadKeys(null);
  } catch (e) {
    onErr(e);
  }
}

// bestRole is the user's highest role in any organisation.
function bestRole(u) {
  const roles = [...(u.roles || []), ...(u.memberships || []).flatMap((m) => m.roles || [])];
  return RANKS.filter((r) => roles.includes(r)).at(-1) || "member";
}

async function loadKeys(cursor) {
  const a = await api("GET", query("v1/api-keys", { limit: 50, cursor }));
  nextCursor = listPage(a, { list: $("keys"), note: $("keys-note"), moreButton: $("keys-more"), item: keyItem, empty: "No API keys.", more: Boolean(cursor) });
}

function keyItem(k) {
  const li = document.createElement("li");
  const h = document.createElement("h2");
  h.textContent = k.name;
  const who = document.createElement("a");
  who.href = `#/users/${encodeURIComponent(k.user_id)}`;
  who.textContent = k.user_id;
  const p = document.createElement("p");
  p.className = "hint";
  p.append(`${k.id} · for `, who, ` · ${(k.scopes || []).join(", ") || "every scope its user's roles allow"} · made ${when(k.created_at)}`,
    k.expires_at ? ` · expires ${when(k.expires_at)}` : " · does not expire");
  const out = document.createElement("p");
  out.setAttribute("role", "status");
  const revoke = button("Revoke", `Revoke ${k.name}`, () => remove(k, out).catch(onErr));
  li.append(h, p, revoke, out);
  return li;
}

async function remove(k, out) {
  if (!confirm(`Revoke the key ${k.name}? Whatever uses it stops working at once.`)) return;
  const a = await api("DELETE", `v1/api-keys/${encodeURIComponent(k.id)}`);
  if (!a.ok) {
    out.textContent = a.problemText;
    return;
  }
  $("status").textContent = `Revoked ${k.name}.`;
  await loadKeys(null);
}

async function create() {
  const form = $("key-form");
  const top = $("key-error");
  clearErrors(form, top);
  hideSecret($("key-secret"));
  const body = { name: $("key-name").value.trim(), scopes: checked(scopesBox) };
  const user = $("key-user").value.trim();
  if (user) body.user_id = user;
  const exp = $("key-expires").value;
  if (exp) body.expires_at = new Date(exp).toISOString();
  const a = await api("POST", "v1/api-keys", { body });
  if (!a.ok) {
    showErrors(form, top, a);
    return;
  }
  form.reset();
  showSecret($("key-secret"), `Secret of the key ${a.body.name}`, a.body.key);
  await loadKeys(null);
}

// keyFields makes the form's inputs, with labels, hints and error places.
function keyFields() {
  const name = input("name");
  name.id = "key-name";
  name.required = true;
  name.maxLength = 255;
  const user = input("user_id");
  user.id = "key-user";
  const exp = input("expires_at", "datetime-local");
  exp.id = "key-expires";
  return [field("Name", name), field("User ID", user, "Empty: a key of your own. An admin may make keys for users it administers, within their roles."),
    field("Expires", exp, "Optional; in your time zone.")];
}
