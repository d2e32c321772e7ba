// SPDX-License-Identifier: Apache-2.0
//
// OAuth clients: the apps of the organisations the signed-in user
// administers. Creating and editing one (PUT with If-Match: a change
// made meanwhile is shown, never overwritten), its secret shown once
// (at creation, at rotation, and when a public client becomes
// confidential), rotating the secret and deleting the client. The
// console's own client is shown but left alone: the server keeps it as
// the console needs it.

import { api, query } from "./api.js";
import { CLIENT_ID } from "./auth.js";
import { $, button, listPage, when } from "./dom.js";
import { checked, choices, clearErrors, editor, field, input, lines, row, saved, select, textarea } from "./editor.js";
import { hideSecret, showSecret } from "./secret.js";

const GRANTS = ["authorization_code", "refresh_token", "client_credentials", "password"];
// API scopes a client may hold or be granted (roster.ClientScopes,
// roster.AllowedScopeChoices): never keys:write.
const API_SCOPES = ["users:read", "users:write:self", "users:write:members", "users:write:all", "orgs:read", "orgs:write",
  "webhooks:read", "webhooks:write", "events:read", "audit:read"];
const ALLOWED_SCOPES = ["openid", "profile", "email", "phone", "offline_access", ...API_SCOPES];
const CLIENT_SCOPES = [...API_SCOPES.filter((s) => s !== "users:write:self"), "scim"];

let onErr = () => {};
let editing = null;
let nextCursor = null;

export function initClients(onError) {
  onErr = onError;
  $("client-new").addEventListener("click", () => openEditor(null));
  $("clients-more").addEventListener("click", () => loadClients(nextCursor).catch(onErr));
}

export async function showClients(onError) {
  onErr = onError;
  hideSecret($("client-secret"));
  closeEditor();
  try {
    await loadClients(null);
  } catch (e) {
    onErr(e);
  }
}

async function loadClients(cursor) {
  const a = await api("GET", query("v1/oauth-clients", { limit: 50, cursor }));
  nextCursor = listPage(a, { list: $("clients"), note: $("clients-note"), moreButton: $("clients-more"), item: clientItem, empty: "No OAuth clients.", more: Boolean(cursor) });
}

function clientItem(cl) {
  const li = document.createElement("li");
  const h = document.createElement("h2");
  h.textContent = cl.name;
  const p = document.createElement("p");
  p.className = "hint";
  p.textContent = [cl.client_id, cl.type, cl.first_party ? "first-party" : "third-party", (cl.grant_types || []).join(", "),
    `made ${when(cl.created_at)}`].join(" · ");
  const out = document.createElement("p");
  out.setAttribute("role", "status");
  const actions = document.createElement("div");
  actions.className = "actions";
  if (cl.client_id === CLIENT_ID) {
    const note = document.createElement("span");
    note.className = "hint";
    note.textContent = "The console's own client: the server keeps it as the console needs it.";
    actions.append(note);
  } else {
    actions.append(button("Edit", `Edit ${cl.name}`, () => openEditor(cl)));
    if (cl.type === "confidential") actions.append(button("Rotate secret", `Rotate secret of ${cl.name}`, () => rotate(cl, out).catch(onErr)));
    actions.append(button("Delete", `Delete ${cl.name}`, () => remove(cl, out).catch(onErr)));
  }
  li.append(h, p, actions, out);
  return li;
}

async function rotate(cl, out) {
  if (!confirm(`Give ${cl.name} a new secret? The old one stops working at once.`)) return;
  const a = await api("POST", `v1/oauth-clients/${encodeURIComponent(cl.client_id)}/rotate-secret`, { headers: { "If-Match": `"${cl.version}"` } });
  if (!a.ok) {
    out.textContent = a.problemText;
    return;
  }
  $("status").textContent = `${cl.name} has a new secret.`;
  showSecret($("client-secret"), `New secret of ${cl.name}`, a.body.client_secret);
  await loadClients(null);
}

async function remove(cl, out) {
  if (!confirm(`Delete the OAuth client ${cl.name}? Its tokens stop working at once.`)) return;
  const a = await api("DELETE", `v1/oauth-clients/${encodeURIComponent(cl.client_id)}`, { headers: { "If-Match": `"${cl.version}"` } });
  if (!a.ok) {
    out.textContent = a.status === 412 ? "It was changed meanwhile: look again before deleting it." : a.problemText;
    if (a.status === 412) await loadClients(null);
    return;
  }
  $("status").textContent = `Deleted ${cl.name}.`;
  await loadClients(null);
}

function closeEditor() {
  editing = null;
  $("client-editor").replaceChildren();
  $("client-editor").hidden = true;
}

function openEditor(cl) {
  editing = cl;
  hideSecret($("client-secret"));
  const c = {
    name: input("name", "text", cl?.name),
    org: input("organization_id", "text", cl?.organization_id),
    type: select("type", ["confidential", "public"], cl?.type || "confidential"),
    firstParty: input("first_party", "checkbox", cl?.first_party),
    redirects: textarea("redirect_uris", (cl?.redirect_uris || []).join("\n")),
    logouts: textarea("post_logout_redirect_uris", (cl?.post_logout_redirect_uris || []).join("\n")),
    alg: select("id_token_signed_response_alg", ["RS256", "ES256"], cl?.id_token_signed_response_alg || "RS256"),
    grants: choices("Grant types", "grant_types", GRANTS, cl?.grant_types || []),
    allowed: choices("Scopes users may grant it at sign-in", "allowed_scopes", ALLOWED_SCOPES, cl?.allowed_scopes || []),
    scopes: choices("Scopes of its own tokens (client_credentials)", "scopes", CLIENT_SCOPES, cl?.scopes || []),
  };
  c.name.required = true;
  c.name.maxLength = 255;
  c.org.readOnly = Boolean(cl); // it cannot change
  const grid = row("grid", field("Name", c.name),
    field("Organisation ID", c.org, cl ? "It cannot change." : "Empty: yours. You must be an admin there."),
    field("Type", c.type, "Public clients (single-page and native apps) have no secret and must use PKCE."),
    field("ID token signing", c.alg),
    field("Redirect URIs", c.redirects, "One a line, compared exactly: https, or http for localhost."),
    field("Post-logout redirect URIs", c.logouts, "One a line."));
  const fp = row("actions", field("First-party: the product's own app, no consent page", c.firstParty));
  editor($("client-editor"), {
    title: cl ? `Edit ${cl.name}` : "New OAuth client", save: cl ? "Save client" : "Create client",
    parts: [grid, fp, c.grants, c.allowed, c.scopes], onCancel: closeEditor,
    onSubmit: (form, top) => submit(form, top, c).catch(onErr),
  });
}

// body is the client the form describes; lists left empty are left out,
// so that the API gives them its defaults.
function body(c) {
  const b = {
    name: c.name.value.trim(), type: c.type.value, first_party: c.firstParty.checked,
    redirect_uris: lines(c.redirects.value), post_logout_redirect_uris: lines(c.logouts.value),
    id_token_signed_response_alg: c.alg.value,
  };
  if (!editing && c.org.value.trim()) b.organization_id = c.org.value.trim();
  for (const [k, group] of [["grant_types", c.grants], ["allowed_scopes", c.allowed], ["scopes", c.scopes]]) {
    const v = checked(group);
    if (v.length > 0) b[k] = v;
  }
  return b;
}

async function submit(form, top, c) {
  clearErrors(form, top);
  const cl = editing;
  const a = cl
    ? await api("PUT", `v1/oauth-clients/${encodeURIComponent(cl.client_id)}`, { body: body(c), headers: { "If-Match": `"${cl.version}"` } })
    : await api("POST", "v1/oauth-clients", { body: body(c) });
  if (!saved(form, top, a, "client")) return;
  closeEditor();
  $("status").textContent = cl ? `Saved ${a.body.name}.` : `Created ${a.body.name}.`;
  if (a.body.client_secret) showSecret($("client-secret"), `Secret of ${a.body.name}`, a.body.client_secret);
  await loadClients(null);
}
