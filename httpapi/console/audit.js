// SPDX-License-Identifier: Apache-2.0
//
// A user's audit trail: each change's JSON Patch shown as before/after.
// An audit entry holds the patch only, so the values before are found by
// replaying the user's patches from its creation (whose patch is the
// whole document) in the order they happened.

import { api, query } from "./api.js";
import { $ } from "./dom.js";

// BOOKKEEPING are what every change moves; the entry's time says it.
const BOOKKEEPING = new Set(["/version", "/updated_at"]);

// auditEntries reads the first 200 audit entries of target, oldest
// first, and whether there are more; or, as refused, why not: refusal
// when the caller may not read them, else the server's words.
export async function auditEntries(target, refusal) {
  const a = await api("GET", query("v1/audit-events", { target, limit: 200 }));
  if (!a.ok) return { refused: a.status === 403 || a.status === 404 ? refusal : a.problemText };
  const entries = [...(a.body.items || [])].sort((x, y) => x.occurred_at.localeCompare(y.occurred_at) || x.id.localeCompare(y.id));
  return { entries, more: Boolean(a.body.next_cursor) };
}

export async function auditTrail(userID) {
  const list = $("audit");
  const note = $("audit-note");
  list.replaceChildren();
  note.textContent = "Loading…";
  const got = await auditEntries(userID, "The audit trail is for admins of this user's organisation (with the audit:read scope).");
  if (got.refused) {
    note.textContent = got.refused;
    return;
  }
  const { entries } = got;
  note.textContent = entries.length === 0 ? "No changes recorded." : got.more ? "The newest changes are not all shown (more than 200)." : "";
  let doc = {};
  const items = [];
  for (const e of entries) {
    const rows = [];
    for (const op of Array.isArray(e.patch) ? e.patch : []) {
      if (!BOOKKEEPING.has(op.path)) rows.push({ path: op.path, before: pointer(doc, op.path), after: op.op === "remove" ? undefined : op.value, op: op.op });
      doc = applyOp(doc, op);
    }
    items.push(entryItem(e, rows));
  }
  list.replaceChildren(...items.reverse());
}

// pointer reads an RFC 6901 pointer; undefined when absent.
function pointer(doc, path) {
  if (path === "") return doc;
  let v = doc;
  for (const raw of path.slice(1).split("/")) {
    if (v == null || typeof v !== "object") return undefined;
    v = v[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return v;
}

// applyOp applies add, replace and remove (what Roster's patches hold);
// another operation leaves the replayed document as it is, so its later
// "before" values may be unknown rather than wrong.
function applyOp(doc, op) {
  if (op.path === "") return op.op === "remove" ? {} : structuredClone(op.value);
  const keys = op.path.slice(1).split("/").map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
  const last = keys.pop();
  let parent = doc;
  for (const k of keys) {
    if (parent[k] == null || typeof parent[k] !== "object") parent[k] = {};
    parent = parent[k];
  }
  const arrayIndex = Array.isArray(parent) ? (last === "-" ? parent.length : Number(last)) : null;
  if (op.op === "remove") {
    if (arrayIndex !== null) parent.splice(arrayIndex, 1);
    else delete parent[last];
  } else if (op.op === "add" && arrayIndex !== null) {
    parent.splice(arrayIndex, 0, structuredClone(op.value));
  } else if (op.op === "add" || op.op === "replace") {
    parent[arrayIndex ?? last] = structuredClone(op.value);
  }
  return doc;
}

function show(v) {
  if (v === undefined) return "(not set)";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function entryItem(e, rows) {
  const li = document.createElement("li");
  const head = document.createElement("p");
  const when = document.createElement("time");
  when.dateTime = e.occurred_at;
  when.textContent = new Date(e.occurred_at).toLocaleString();
  const who = e.actor?.user_id || e.actor?.client_id || e.actor?.key_id || "the system";
  const by = e.actor?.impersonator_id ? ` (as ${who}, by ${e.actor.impersonator_id})` : ` by ${who}`;
  head.append(when, ` · ${e.action}${by}${e.reason ? ` · reason: ${e.reason}` : ""}`);
  li.append(head);
  if (rows.length === 0 || e.action.endsWith(".created")) {
    return li; // a creation's patch is the whole document: nothing was before
  }
  const table = document.createElement("table");
  const cap = document.createElement("caption");
  cap.className = "visually-hidden";
  cap.textContent = `Changes of ${e.action} at ${when.textContent}`;
  const thead = document.createElement("thead");
  thead.innerHTML = "<tr><th scope=\"col\">Field</th><th scope=\"col\">Before</th><th scope=\"col\">After</th></tr>";
  const tbody = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const [text, cls] of [[r.path.slice(1).replace(/\//g, "."), ""], [show(r.before), "before"], [show(r.after), "after"]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(cap, thead, tbody);
  li.append(table);
  return li;
}
