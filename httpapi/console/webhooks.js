// SPDX-License-Identifier: Apache-2.0
//
// Webhooks: the ones the signed-in user administers; creating and
// editing them (PUT with If-Match, so a change made meanwhile is never
// overwritten); secrets write-only — the form says whether a password,
// client secret or header value is set and replaces it only when a new
// one is typed (the API keeps a stored one for "********"); the signing
// secret shown once after creation and rotation; each webhook's delivery
// log with every attempt, "Deliver again", and a test message sent now.

import { api, query } from "./api.js";
import { $, button, when } from "./dom.js";
import { clearErrors, editor, field, input, lines, row, saved, select, textarea } from "./editor.js";
import { hideSecret, showSecret } from "./secret.js";

// MASK is what the API shows for a write-only value that is set, and
// takes back as "keep the stored one".
const MASK = "********";

let onErr = () => {};

// initWebhooks wires the view's controls once.
export function initWebhooks(onError) {
  onErr = onError;
  $("webhook-new").addEventListener("click", () => openEditor(null));
}

export async function showWebhooks(onError) {
  onErr = onError;
  hideSecret($("webhook-secret"));
  closeEditor();
  await loadWebhooks();
}

async function loadWebhooks() {
  const list = $("webhooks");
  const note = $("webhooks-note");
  try {
    const a = await api("GET", query("v1/webhooks", { limit: 100 }));
    if (!a.ok) {
      note.textContent = a.problemText;
      list.replaceChildren();
      return;
    }
    const items = a.body.items || [];
    note.textContent = items.length === 0 ? "No webhooks." : "";
    list.replaceChildren(...items.map(webhookItem));
  } catch (e) {
    onErr(e);
  }
}

function webhookItem(w) {
  const li = document.createElement("li");
  const h = document.createElement("h2");
  h.textContent = w.name || w.url;
  const name = h.textContent;
  const p = document.createElement("p");
  p.className = "hint";
  p.textContent = [w.status, w.disabled_reason, `${w.method} ${w.url}`, (w.events || []).join(", ") || "every event",
    w.signing?.enabled ? "signed" : "not signed"].filter(Boolean).join(" · ");
  const result = document.createElement("p");
  result.setAttribute("role", "status");
  const log = document.createElement("div");
  log.hidden = true;
  const show = button("Deliveries", `Deliveries of ${name}`, () => {
    const open = show.getAttribute("aria-expanded") !== "true";
    show.setAttribute("aria-expanded", String(open));
    log.hidden = !open;
    if (open) deliveries(w, log).catch(onErr);
  });
  show.setAttribute("aria-expanded", "false");
  const test = button("Send a test", `Send a test to ${name}`, () => sendTest(w, result).catch(onErr));
  const edit = button("Edit", `Edit ${name}`, () => openEditor(w));
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(show, test, edit);
  if (w.signing?.enabled) {
    actions.append(button("Rotate signing secret", `Rotate signing secret of ${name}`, () => rotate(w, result).catch(onErr)));
  }
  actions.append(button("Delete", `Delete ${name}`, () => remove(w, result).catch(onErr)));
  li.append(h, p, actions, result, log);
  return li;
}

async function sendTest(w, result) {
  result.textContent = "Sending…";
  const a = await api("POST", `v1/webhooks/${encodeURIComponent(w.id)}/test`);
  result.textContent = !a.ok ? a.problemText
    : `${a.body.succeeded ? "Delivered" : "Not delivered"}: ${a.body.status_code ? `HTTP ${a.body.status_code}` : a.body.error || ""} in ${Math.round(a.body.latency_ms)} ms.`;
}

// rotate gives the webhook a new signing secret, shown once; the old one
// keeps signing for the server's rotation overlap.
async function rotate(w, result) {
  if (!confirm(`Rotate the signing secret of ${w.name || w.url}? The old secret keeps signing for a while, so receivers can switch.`)) return;
  const a = await api("POST", `v1/webhooks/${encodeURIComponent(w.id)}/rotate-secret`);
  if (!a.ok) {
    result.textContent = a.problemText;
    return;
  }
  $("status").textContent = `${w.name || w.url} has a new signing secret.`;
  showSecret($("webhook-secret"), `New signing secret of ${w.name || w.url}`, a.body.signing.secret);
}

async function remove(w, result) {
  if (!confirm(`Delete the webhook ${w.name || w.url} and its delivery log?`)) return;
  const a = await api("DELETE", `v1/webhooks/${encodeURIComponent(w.id)}`, { headers: { "If-Match": `"${w.version}"` } });
  if (!a.ok) {
    result.textContent = a.status === 412 ? "It was changed meanwhile: look again before deleting it." : a.problemText;
    if (a.status === 412) await loadWebhooks();
    return;
  }
  $("status").textContent = `Deleted ${w.name || w.url}.`;
  await loadWebhooks();
}

// deliveries shows a webhook's delivery log, newest first, each delivery
// with its attempts.
async function deliveries(w, into) {
  const a = await api("GET", query(`v1/webhooks/${encodeURIComponent(w.id)}/deliveries`, { limit: 50 }));
  if (!a.ok) {
    into.textContent = a.problemText;
    return;
  }
  const items = a.body.items || [];
  if (items.length === 0) {
    into.textContent = "No deliveries yet.";
    return;
  }
  const table = document.createElement("table");
  const cap = document.createElement("caption");
  cap.className = "visually-hidden";
  cap.textContent = `Deliveries of ${w.name || w.url}`;
  const head = document.createElement("thead");
  head.innerHTML = "<tr><th scope=\"col\">Event</th><th scope=\"col\">Status</th><th scope=\"col\">Attempts</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr>";
  const body = document.createElement("tbody");
  for (const d of items) body.append(deliveryRow(w, d, into));
  table.append(cap, head, body);
  into.replaceChildren(table);
}

function deliveryRow(w, d, into) {
  const tr = document.createElement("tr");
  for (const text of [`${d.event_type} ${d.resource_id}`, d.status + (d.next_attempt_at ? `; next ${when(d.next_attempt_at)}` : "")]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  tr.append(attemptsCell(d));
  const td = document.createElement("td");
  const out = document.createElement("span");
  out.setAttribute("role", "status");
  td.append(button("Deliver again", `Deliver again: ${d.event_type} of ${d.resource_id}`, async () => {
    const r = await api("POST", `v1/webhooks/${encodeURIComponent(w.id)}/deliveries/${encodeURIComponent(d.id)}/retry`);
    out.textContent = r.ok ? " Queued." : ` ${r.problemText}`;
    if (r.ok) await followRetry(w, d.id, into);
  }), out);
  tr.append(td);
  return tr;
}

// followRetry shows how a retried delivery went: the log again once the
// delivery is no longer pending, or after ten seconds whatever its state.
async function followRetry(w, id, into) {
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const a = await api("GET", query(`v1/webhooks/${encodeURIComponent(w.id)}/deliveries`, { status: "pending", limit: 100 }));
    if (!a.ok || !(a.body.items || []).some((d) => d.id === id)) break;
  }
  await deliveries(w, into);
}

// attemptsCell lists a delivery's attempts: when, the answer (or why
// none came), how long it took, and the start of the answer's body.
function attemptsCell(d) {
  const td = document.createElement("td");
  const attempts = d.attempts || [];
  if (attempts.length === 0) {
    td.textContent = "none yet";
    return td;
  }
  const ol = document.createElement("ol");
  ol.className = "attempts";
  for (const at of attempts) {
    const li = document.createElement("li");
    const answer = at.status_code ? `HTTP ${at.status_code}` : at.error || "no answer";
    li.textContent = `${when(at.at)}: ${answer}, ${Math.round(at.latency_ms || 0)} ms`;
    if (at.response_excerpt) {
      const ex = document.createElement("code");
      ex.textContent = at.response_excerpt;
      li.append(" ", ex);
    }
    ol.append(li);
  }
  td.append(ol);
  return td;
}

// The editor: one form for a new webhook (w null) and for a change.
let editing = null;

function closeEditor() {
  editing = null;
  $("webhook-editor").replaceChildren();
  $("webhook-editor").hidden = true;
}

function openEditor(w) {
  editing = w;
  hideSecret($("webhook-secret"));
  const auth = w?.auth || {};
  const c = {
    name: input("name", "text", w?.name),
    url: input("url", "url", w?.url),
    events: input("events", "text", (w?.events || ["*"]).join(", ")),
    org: input("organization_id", "text", w?.organization_id),
    method: select("method", ["POST", "PUT", "PATCH", "DELETE"], w?.method || "POST"),
    status: select("status", ["enabled", "disabled"], w?.status || "enabled"),
    previous: input("include_previous", "checkbox", w?.include_previous),
    signing: input("signing.enabled", "checkbox", w ? w.signing?.enabled : true),
    headers: textarea("headers", Object.keys(w?.headers || {}).map((k) => `${k}: ${MASK}`).join("\n")),
    projection: textarea("projection", Object.entries(w?.projection || {}).map(([k, v]) => `${k} = ${v}`).join("\n")),
    authType: select("auth.type", [["", "None"], ["basic", "Basic"], ["oauth2", "OAuth 2.0"]], auth.type || ""),
    username: input("auth.username", "text", auth.username),
    password: input("auth.password", "password"),
    grant: select("auth.grant_type", ["client_credentials", "refresh_token"], auth.grant_type || "client_credentials"),
    tokenURL: input("auth.token_url", "url", auth.token_url),
    clientID: input("auth.client_id", "text", auth.client_id),
    clientSecret: input("auth.client_secret", "password"),
    refreshToken: input("auth.refresh_token", "password"),
    scope: input("auth.scope", "text", auth.scope),
  };
  c.url.required = true;
  c.name.maxLength = 255;
  const basic = row("grid", field("Username", c.username), field("Password", c.password, writeOnlyHint(auth.password)));
  const oauth = row("grid", field("Grant type", c.grant), field("Token URL", c.tokenURL), field("Client ID", c.clientID),
    field("Client secret", c.clientSecret, writeOnlyHint(auth.client_secret)),
    field("Refresh token", c.refreshToken, writeOnlyHint(auth.refresh_token)), field("Scope", c.scope));
  const showAuth = () => {
    basic.hidden = c.authType.value !== "basic";
    oauth.hidden = c.authType.value !== "oauth2";
  };
  c.authType.addEventListener("change", showAuth);
  showAuth();

  const grid = row("grid", field("Name", c.name), field("URL", c.url, "Where deliveries go: http or https."),
    field("Events", c.events, "Comma-separated: user.updated, user.* for a family, * for all."),
    field("Organisation ID", c.org, "Only this organisation's events and those below it; empty: yours."),
    field("Method", c.method), field("Status", c.status));
  const checks = row("actions", field("Send the resource as it was before", c.previous), field("Sign deliveries", c.signing));
  const authFs = document.createElement("fieldset");
  authFs.append(legend("Authentication"), field("Type", c.authType), basic, oauth);
  const more = row("grid", field("Headers", c.headers, `One a line, Name: value. Values are write-only: ${MASK} keeps the stored one.`),
    field("Projection", c.projection, "Optional. One a line, name = $.jsonpath into the event's data."));
  editor($("webhook-editor"), {
    title: w ? `Edit ${w.name || w.url}` : "New webhook", save: w ? "Save webhook" : "Create webhook",
    parts: [grid, checks, authFs, more], onCancel: closeEditor,
    onSubmit: (form, top) => submit(form, top, c).catch(onErr),
  });
}

function legend(text) {
  const l = document.createElement("legend");
  l.textContent = text;
  return l;
}

// writeOnlyHint says whether a write-only value is set, never what it is.
function writeOnlyHint(current) {
  return current ? "Set. Leave empty to keep it; type a new one to replace it." : "Not set.";
}

// secret is what to send for a write-only input: the typed value, or the
// mask that keeps a stored one.
function secret(inputEl, current) {
  if (inputEl.value) return inputEl.value;
  return current ? MASK : undefined;
}

// body is the webhook the form describes, as PUT and POST take it.
function body(c) {
  const b = {
    name: c.name.value.trim(), url: c.url.value.trim(), method: c.method.value, status: c.status.value,
    events: c.events.value.split(",").map((s) => s.trim()).filter(Boolean),
    include_previous: c.previous.checked, signing: { enabled: c.signing.checked },
  };
  if (c.org.value.trim()) b.organization_id = c.org.value.trim();
  const headers = {};
  for (const l of lines(c.headers.value)) {
    const i = l.indexOf(":");
    headers[(i < 0 ? l : l.slice(0, i)).trim()] = i < 0 ? "" : l.slice(i + 1).trim();
  }
  if (Object.keys(headers).length > 0) b.headers = headers;
  const projection = {};
  for (const l of lines(c.projection.value)) {
    const i = l.indexOf("=");
    projection[(i < 0 ? l : l.slice(0, i)).trim()] = i < 0 ? "" : l.slice(i + 1).trim();
  }
  if (Object.keys(projection).length > 0) b.projection = projection;
  b.auth = authBody(c);
  return b;
}

// authBody is the auth object the form describes; a stored secret is
// kept only while the type stays the same.
function authBody(c) {
  const type = c.authType.value;
  if (!type) return null;
  const cur = editing?.auth?.type === type ? editing.auth : {};
  if (type === "basic") return { type, username: c.username.value.trim(), password: secret(c.password, cur.password) };
  const a = { type, grant_type: c.grant.value, token_url: c.tokenURL.value.trim(), client_id: c.clientID.value.trim(), scope: c.scope.value.trim() };
  a.client_secret = secret(c.clientSecret, cur.client_secret);
  if (c.grant.value === "refresh_token") a.refresh_token = secret(c.refreshToken, cur.refresh_token);
  return a;
}

async function submit(form, top, c) {
  clearErrors(form, top);
  const w = editing;
  const a = w
    ? await api("PUT", `v1/webhooks/${encodeURIComponent(w.id)}`, { body: body(c), headers: { "If-Match": `"${w.version}"` } })
    : await api("POST", "v1/webhooks", { body: body(c) });
  if (!saved(form, top, a, "webhook")) return;
  closeEditor();
  $("status").textContent = w ? `Saved ${a.body.name || a.body.url}.` : `Created ${a.body.name || a.body.url}.`;
  if (a.body.signing?.secret) showSecret($("webhook-secret"), `Signing secret of ${a.body.name || a.body.url}`, a.body.signing.secret);
  await loadWebhooks();
}
