// SPDX-License-Identifier: Apache-2.0
//
// An organisation's page: its fields and branding saved like a user's
// (form.js: If-Match, conflicts, errors next to fields), with a preview
// of the branding; its credit with the history the audit trail keeps;
// its settings schema edited as JSON; its members, a page at a time.

import { api, query } from "./api.js";
import { auditEntries } from "./audit.js";
import { org, remember } from "./rank.js";
import { ResourceForm } from "./form.js";
import { displayName } from "./users.js";
import { $, when } from "./dom.js";

const MEMBERS_PAGE = 25;

const FIELDS = [
  { path: ["name"], label: "Name", required: true },
  { path: ["external_id"], label: "External ID", hint: "The parent's own id for it; unique among its siblings" },
  { path: ["status"], label: "Status", options: ["enabled", "disabled"], hint: "Disabled: nobody below it signs in" },
  { path: ["currency"], label: "Currency", hint: "ISO 4217, e.g. EUR" },
  { path: ["domain"], label: "Domain" },
  { path: ["seats"], label: "Seats", int: true },
  { path: ["plan", "id"], label: "Plan ID" },
  { path: ["plan", "name"], label: "Plan name" },
  { path: ["features"], label: "Features", list: true, hint: "Comma-separated, e.g. call, fax" },
  { path: ["allowed_languages"], label: "Allowed languages", list: true, hint: "Comma-separated language tags; none allows all" },
  { path: ["allowed_countries"], label: "Allowed countries", list: true, hint: "Comma-separated two-letter codes; none allows all" },
  { path: ["notification_events"], label: "Notification events", list: true, hint: "Extra event names its users may configure" },
];

const BRANDING = [
  { path: ["white_label", "logo_url"], label: "Logo URL", type: "url" },
  { path: ["white_label", "email_address"], label: "Sender email", type: "email" },
  { path: ["white_label", "header_background_color"], label: "Header background colour", hint: "e.g. #0550ae" },
  { path: ["white_label", "menu_background_color"], label: "Menu background colour", hint: "e.g. #f6f8fa" },
];

const COLOUR = /^#[0-9a-fA-F]{6}$/;

let onSignedOut = () => {};
const form = new ResourceForm({
  prefix: "o", fields: [...FIELDS, ...BRANDING], noun: "organisation",
  ids: { error: "org-form-error", conflict: "org-conflict", status: "org-save-status" },
  onSet: showFacts, onError: (e) => onSignedOut(e),
});
const orgURL = () => `v1/orgs/${encodeURIComponent(form.base.id)}`;
const byKey = (f) => $(form.inputId(f));

let schemaTag = null; // the ETag of the schema as read; null when none applies
let memberCursors = [null]; // as the users view: cursors of the pages seen
let memberNext = null;

export function initOrg(onError) {
  onSignedOut = onError;
  const rows = form.rows();
  $("org-fields").replaceChildren(...rows.slice(0, FIELDS.length));
  $("org-branding").replaceChildren(...rows.slice(FIELDS.length));
  $("org-form").addEventListener("submit", (e) => {
    e.preventDefault();
    form.save(orgURL());
  });
  for (const f of [...BRANDING, FIELDS[0]]) byKey(f).addEventListener("input", preview);
  $("brand-logo").addEventListener("error", () => {
    $("brand-logo").hidden = true;
    $("brand-logo-note").hidden = false;
  });
  $("credit-add").addEventListener("click", () => adjustCredit(1).catch(onError));
  $("credit-subtract").addEventListener("click", () => adjustCredit(-1).catch(onError));
  $("schema-form").addEventListener("submit", (e) => {
    e.preventDefault();
    saveSchema().catch(onError);
  });
  $("members-next").addEventListener("click", () => {
    memberCursors.push(memberNext);
    loadMembers().catch(onError);
  });
  $("members-prev").addEventListener("click", () => {
    memberCursors.pop();
    loadMembers().catch(onError);
  });
}

// showOrg opens the page of organisation id.
export async function showOrg(id) {
  form.clearErrors();
  form.status("");
  $("org-h").textContent = "Organisation";
  try {
    const a = await api("GET", `v1/orgs/${encodeURIComponent(id)}`);
    $("org-details").hidden = !a.ok;
    if (!a.ok) {
      form.formError([a.problemText]);
      return;
    }
    form.set(a.body, a.headers.get("ETag"));
    clearCredit();
    memberCursors = [null];
    await Promise.all([creditHistory(id), loadSchema(id), loadMembers()]);
  } catch (e) {
    onSignedOut(e);
  }
}

// showFacts shows what the form does not edit, and the branding preview.
function showFacts(o) {
  remember([o]);
  $("org-h").textContent = o.name;
  document.title = `${o.name} · Roster console`;
  $("org-meta").textContent = `Version ${o.version} · ${o.id} · `;
  if (o.parent_id) parentLink(o.parent_id).catch(onSignedOut);
  else $("org-meta").append("the root organisation");
  // Credit is set from above: the root, with nothing above, has none.
  $("credit-balance").textContent = o.parent_id ? `Balance: ${o.credit} ${o.currency}` : "The root organisation has no credit.";
  $("credit-form").hidden = !o.parent_id;
  preview();
}

// parentLink names the parent (its id when the caller may not read it)
// and links to its page.
async function parentLink(id) {
  const a = document.createElement("a");
  a.href = `#/orgs/${encodeURIComponent(id)}`;
  a.textContent = (await org(id))?.name || id;
  $("org-meta").append("client of ", a);
}

// preview shows the branding as typed: the name on the header colour,
// with the logo. The console's policy loads images from its own server
// only, so a logo elsewhere is named, not shown.
function preview() {
  const v = form.values();
  const header = v["white_label.header_background_color"].trim();
  const box = $("brand-preview");
  box.style.backgroundColor = COLOUR.test(header) ? header : "";
  box.style.color = COLOUR.test(header) ? textOn(header) : "";
  $("brand-name").textContent = v.name;
  const logo = v["white_label.logo_url"].trim();
  const img = $("brand-logo");
  if (img.getAttribute("src") === (logo || null)) return; // the same logo, shown or not as before
  const note = $("brand-logo-note");
  note.textContent = `The logo at ${logo} cannot be shown here: the console loads images from this server only.`;
  note.hidden = true; // until the image fails to load
  img.hidden = !logo;
  if (logo) img.src = logo;
  else img.removeAttribute("src");
}

// textOn is black or white, whichever reads better on colour (WCAG
// relative luminance).
function textOn(colour) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(colour.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? "#000000" : "#ffffff";
}

// adjustCredit adds (sign 1) or subtracts (-1) the amount, with the
// reason the API requires; the edits in the form stay.
async function adjustCredit(sign) {
  const amount = $("credit-amount").value.trim().replace(/^[+-]/, "");
  const reason = $("credit-reason").value.trim();
  const errors = { amount: amount ? "" : "Enter an amount, e.g. 10.50.", reason: reason ? "" : "Give a reason: it is kept with the change." };
  if (amount && reason) {
    $("credit-status").textContent = "";
    const a = await api("POST", `${orgURL()}/credit`, { body: { amount: sign < 0 ? `-${amount}` : amount, reason } });
    if (a.ok) {
      form.rebase(a.body, a.headers.get("ETag"), form.values());
      form.status("");
      clearCredit();
      $("credit-status").textContent = `Credit ${sign < 0 ? "subtracted" : "added"}: the balance is ${a.body.credit} ${a.body.currency}.`;
      await creditHistory(a.body.id);
    } else {
      for (const e of a.body?.errors || []) {
        const name = (e.location || "").replace(/^body\./, "");
        if (name in errors) errors[name] = e.message;
      }
      $("credit-status").textContent = `Not changed: ${a.problemText}`;
    }
  }
  for (const [name, text] of Object.entries(errors)) fieldError(`credit-${name}`, text);
}

// clearCredit empties the credit form and its messages, for a page
// opened afresh.
function clearCredit() {
  $("credit-amount").value = $("credit-reason").value = $("credit-status").textContent = "";
  fieldError("credit-amount", "");
  fieldError("credit-reason", "");
}

// fieldError shows text (or nothing) next to input id.
function fieldError(id, text) {
  const p = $(`${id}-error`);
  p.textContent = text;
  p.hidden = !text;
  if (text) $(id).setAttribute("aria-invalid", "true");
  else $(id).removeAttribute("aria-invalid");
}

// creditHistory lists the credit changes the audit trail holds, newest
// first, with the balance before and after and the reason.
async function creditHistory(id) {
  const rows = $("credit-history");
  const note = $("credit-note");
  rows.replaceChildren();
  const got = await auditEntries(id, "The credit history is in the audit trail, for admins with the audit:read scope.");
  if (got.refused) {
    note.textContent = got.refused;
    return;
  }
  let balance = "0";
  const out = [];
  for (const e of got.entries) {
    const op = (Array.isArray(e.patch) ? e.patch : []).find((p) => p.path === "/credit" || p.path === "");
    if (!op) continue;
    const after = op.path === "" ? op.value?.credit ?? balance : op.value;
    if (op.path === "/credit") out.push([when(e.occurred_at), `${balance} → ${after}`, e.reason || "", actorOf(e)]);
    balance = after;
  }
  note.textContent = got.more
    ? "Only this organisation's first 200 changes are read: later credit changes are not shown."
    : out.length ? "" : "No credit changes yet.";
  rows.replaceChildren(...out.reverse().map((cells) => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.append(cell);
      tr.append(td);
    }
    return tr;
  }));
  $("credit-table").hidden = out.length === 0;
}

// actorOf is who made a change: a link to the user, or the API key or
// client's id.
function actorOf(e) {
  const id = e.actor?.user_id;
  if (!id) return e.actor?.key_id || e.actor?.client_id || "";
  const a = document.createElement("a");
  a.href = `#/users/${encodeURIComponent(id)}`;
  a.textContent = id;
  return a;
}

// loadSchema reads the settings schema that applies (the organisation's
// own or an ancestor's) into the editor.
async function loadSchema(id) {
  fieldError("schema", "");
  $("schema-status").textContent = "";
  const a = await api("GET", `v1/orgs/${encodeURIComponent(id)}/settings-schema`);
  schemaTag = a.ok ? a.headers.get("ETag") : null;
  $("schema").value = a.ok ? JSON.stringify(a.body, null, 2) : "";
  if (a.ok) schemaNote();
  else $("schema-note").textContent = a.status === 404 ? "No schema applies: users' settings may be any JSON object up to 64 KiB." : a.problemText;
}

// schemaNote says whose the schema in the editor is (an inherited one's
// ETag names the ancestor: "<id>.<version>").
function schemaNote() {
  $("schema-note").textContent = schemaTag.includes(".")
    ? "This schema is inherited from an ancestor; saving it here makes it this organisation's own."
    : "This organisation's own schema, for its users' settings and those of the organisations below it.";
}

// saveSchema checks that the editor holds JSON before sending it, and
// shows the server's objections next to the editor.
async function saveSchema() {
  let doc;
  try {
    doc = JSON.parse($("schema").value);
  } catch (e) {
    fieldError("schema", `This is not valid JSON, so it was not sent: ${e.message}`);
    $("schema").focus();
    return;
  }
  const headers = { "Content-Type": "application/schema+json" };
  if (schemaTag) headers["If-Match"] = schemaTag;
  const a = await api("PUT", `${orgURL()}/settings-schema`, { body: doc, headers });
  if (a.status === 412) {
    fieldError("schema", "Someone else changed the schema meanwhile, so yours was not saved. Copy your edits, then reload the page to see theirs.");
    return;
  }
  if (!a.ok) {
    const details = (a.body?.errors || []).map((e) => e.message);
    fieldError("schema", `Not saved: ${[a.problemText.replace(/\.$/, ""), ...details].join(". ")}`);
    $("schema").focus();
    return;
  }
  schemaTag = a.headers.get("ETag");
  schemaNote();
  fieldError("schema", "");
  $("schema").value = JSON.stringify(a.body, null, 2);
  $("schema-status").textContent = "Schema saved.";
}

// loadMembers shows a page of the organisation's members.
async function loadMembers() {
  const a = await api("GET", query(`${orgURL()}/members`, { limit: MEMBERS_PAGE, cursor: memberCursors.at(-1) }));
  const items = a.ok ? a.body.items || [] : [];
  $("members-note").textContent = a.ok ? (items.length ? "" : "No members.") : a.problemText;
  memberNext = a.ok ? a.body.next_cursor ?? null : null;
  $("members").replaceChildren(...items.map(memberItem));
  $("members-next").disabled = !memberNext;
  $("members-prev").disabled = memberCursors.length < 2;
}

function memberItem(m) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `#/users/${encodeURIComponent(m.user_id)}`;
  a.textContent = displayName(m.user);
  const meta = document.createElement("span");
  meta.className = "hint";
  meta.textContent = [m.user?.email, `roles: ${(m.roles || []).join(", ")}`, m.home ? "home organisation" : "member from elsewhere"].filter(Boolean).join(" · ");
  li.append(a, meta);
  return li;
}
