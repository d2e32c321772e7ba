// SPDX-License-Identifier: Apache-2.0
//
// A user's page: the fields labelled in words, saved as a JSON merge
// patch of what changed with If-Match, so that a change made meanwhile
// by someone else comes back as 412 and is shown as a conflict, never
// overwritten; validation errors from the problem document next to the
// fields they name; the user's audit trail as before/after.

import { api } from "./api.js";
import { displayName } from "./users.js";
import { auditTrail } from "./audit.js";
import { initSessions, showSessions } from "./sessions.js";
import { initAccess, showAccess } from "./access.js";
import { $, button } from "./dom.js";

const DATE_FORMATS = ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "DD-MM-YYYY"];
const NUMBER_FORMATS = ["plain", "comma_dot", "dot_comma", "space_comma", "apostrophe_dot"];

// FIELDS are the user's fields the page shows, by their path in the
// user's JSON. Email and username change through their own calls (with
// a confirmation or a reason), so they are shown, not edited, here.
const FIELDS = [
  { path: ["first_name"], label: "First name", required: true, autocomplete: "off" },
  { path: ["last_name"], label: "Last name" },
  { path: ["display_name"], label: "Display name" },
  { path: ["email"], label: "Email", readOnly: true },
  { path: ["username"], label: "Username", readOnly: true },
  { path: ["status"], label: "Status", options: ["enabled", "disabled"] },
  { path: ["availability"], label: "Availability", options: ["available", "unavailable"] },
  { path: ["phone", "number"], label: "Phone", type: "tel", group: "phone" },
  { path: ["phone", "country"], label: "Phone country", group: "phone", hint: "Two letters, e.g. NL" },
  { path: ["mobile", "number"], label: "Mobile", type: "tel", group: "mobile" },
  { path: ["mobile", "country"], label: "Mobile country", group: "mobile", hint: "Two letters, e.g. NL" },
  { path: ["preferences", "language"], label: "Language", hint: "A language tag, e.g. en or nl-BE" },
  { path: ["preferences", "time_zone"], label: "Time zone", hint: "e.g. Europe/Amsterdam" },
  { path: ["preferences", "default_country"], label: "Default country" },
  { path: ["preferences", "color_mode"], label: "Colour mode", options: ["", "light", "dark", "system"] },
  { path: ["preferences", "date_format"], label: "Date format", options: ["", ...DATE_FORMATS] },
  { path: ["preferences", "number_format"], label: "Number format", options: ["", ...NUMBER_FORMATS] },
  { path: ["external_id"], label: "External ID" },
  { path: ["manager_id"], label: "Manager ID" },
];

const key = (f) => f.path.join(".");
const inputId = (f) => `u-${f.path.join("-")}`;
const errorId = (f) => `e-${f.path.join("-")}`;

// The user as last read, and the ETag of that version.
let base = null;
let etag = "";
let onSignedOut = () => {};

export function initUser(onError) {
  onSignedOut = onError;
  $("user-fields").replaceChildren(...FIELDS.map(fieldRow));
  $("user-form").addEventListener("submit", (e) => {
    e.preventDefault();
    save();
  });
  $("mfa-off").addEventListener("click", () => mfaOff().catch(onError));
  $("tag-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("new-tag").value.trim();
    if (name) changeTags("POST", "tags", { tags: [{ name }] }).catch(onError);
  });
  initSessions(onError);
  initAccess(onError);
}

// changeTags adds or removes tags with If-Match, like a save: a tag
// change made on a version someone else changed meanwhile is refused
// and shown as a conflict. Edits in the form stay.
async function changeTags(method, path, body) {
  const err = $("tag-error");
  err.hidden = true;
  const url = `v1/users/${encodeURIComponent(base.id)}/${path}`;
  const a = await api(method, url, { body, headers: { "If-Match": etag } });
  if (a.status === 412) {
    await conflict();
    return;
  }
  if (!a.ok) {
    err.textContent = a.body?.errors?.[0]?.message || a.problemText;
    err.hidden = false;
    return;
  }
  const now = a.status === 204 ? await api("GET", `v1/users/${encodeURIComponent(base.id)}`) : a;
  rebase(now.body, now.headers.get("ETag"), formValues());
  $("new-tag").value = "";
  $("save-status").textContent = method === "POST" ? "Tag added." : "Tag removed.";
}

function renderTags(u) {
  $("tags").replaceChildren(...(u.tags || []).map((t) => {
    const li = document.createElement("li");
    li.append(t.name, " ");
    li.append(button("Remove", `Remove tag ${t.name}`, () => changeTags("DELETE", `tags/${encodeURIComponent(t.id)}`).catch(onSignedOut)));
    return li;
  }));
}

// mfaOff turns the user's two-factor sign-in off, as its admin (who
// sends no code); the server decides whether this caller may.
async function mfaOff() {
  if (!confirm("Turn off two-factor sign-in for this user? They sign in with the password alone until they enrol again.")) return;
  const a = await api("DELETE", `v1/users/${encodeURIComponent(base.id)}/mfa/totp`, { body: {} });
  if (!a.ok) {
    $("mfa-state").textContent = `Two-factor sign-in is on. Not turned off: ${a.problemText}`;
    return;
  }
  await showUser(base.id);
  $("save-status").textContent = "Two-factor sign-in is off.";
}

function fieldRow(f) {
  const div = document.createElement("div");
  div.className = "field";
  const label = document.createElement("label");
  label.htmlFor = inputId(f);
  label.textContent = f.label;
  let input;
  if (f.options) {
    input = document.createElement("select");
    for (const o of f.options) input.append(new Option(o === "" ? "Not set" : o, o));
  } else {
    input = document.createElement("input");
    input.type = f.type || "text";
    input.autocomplete = "off";
  }
  input.id = inputId(f);
  input.name = key(f);
  if (f.readOnly) input.readOnly = true;
  if (f.required) input.required = true;
  const err = document.createElement("p");
  err.id = errorId(f);
  err.className = "field-error";
  err.hidden = true;
  const described = [err.id];
  div.append(label, input);
  if (f.hint) {
    const hint = document.createElement("span");
    hint.id = `h-${f.path.join("-")}`;
    hint.className = "hint";
    hint.textContent = f.hint;
    div.append(hint);
    described.unshift(hint.id);
  }
  input.setAttribute("aria-describedby", described.join(" "));
  div.append(err);
  return div;
}

function get(obj, path) {
  return path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

// showUser opens the page of user id.
export async function showUser(id) {
  clearErrors();
  $("conflict").hidden = true;
  $("save-status").textContent = "";
  $("user-h").textContent = "User";
  try {
    const a = await api("GET", `v1/users/${encodeURIComponent(id)}`);
    if (!a.ok) {
      formError([a.problemText]);
      $("user-form").hidden = true;
      return;
    }
    $("user-form").hidden = false;
    setUser(a.body, a.headers.get("ETag"));
    auditTrail(id).catch(onSignedOut);
    showSessions(id).catch(onSignedOut);
    showAccess(id);
  } catch (e) {
    onSignedOut(e);
  }
}

function setUser(u, tag) {
  base = u;
  etag = tag || `"${u.version}"`;
  for (const f of FIELDS) $(inputId(f)).value = get(u, f.path) ?? "";
  $("user-h").textContent = displayName(u);
  document.title = `${displayName(u)} · Roster console`;
  const roles = (u.roles || []).join(", ") || "none";
  $("user-meta").textContent = `Version ${u.version} · ${u.id} · roles: ${roles}`;
  renderTags(u);
  $("mfa-state").textContent = u.mfa_enabled ? "Two-factor sign-in is on." : "Two-factor sign-in is off.";
  $("mfa-off").hidden = !u.mfa_enabled;
}

// formValues reads the inputs, by field key.
function formValues() {
  return Object.fromEntries(FIELDS.map((f) => [key(f), $(inputId(f)).value]));
}

// changes is the merge patch from the user as read to the form: only
// what was edited, so that fields the page does not show are never
// touched. An emptied field is reset (null), but a required one is sent
// empty so that the server names what is wrong with it. A phone number
// is one object: both its parts go when either changed.
function changes() {
  const v = formValues();
  const patch = {};
  for (const f of FIELDS) {
    if (f.readOnly || v[key(f)] === String(get(base, f.path) ?? "")) continue;
    if (f.group) {
      const number = v[`${f.group}.number`].trim();
      patch[f.group] = number === "" ? null : { number, country: v[`${f.group}.country`].trim() || undefined };
      continue;
    }
    const val = v[key(f)].trim();
    const out = val === "" && !f.required ? null : val;
    if (f.path.length === 1) patch[f.path[0]] = out;
    else (patch[f.path[0]] ??= {})[f.path[1]] = out;
  }
  return patch;
}

async function save() {
  clearErrors();
  const patch = changes();
  if (Object.keys(patch).length === 0) {
    $("save-status").textContent = "Nothing changed.";
    return;
  }
  $("save-status").textContent = "Saving…";
  let a;
  try {
    a = await api("PATCH", `v1/users/${encodeURIComponent(base.id)}`, {
      body: patch, headers: { "Content-Type": "application/merge-patch+json", "If-Match": etag },
    });
  } catch (e) {
    $("save-status").textContent = "";
    onSignedOut(e);
    return;
  }
  $("save-status").textContent = "";
  if (a.ok) {
    setUser(a.body, a.headers.get("ETag"));
    $("save-status").textContent = `Saved: version ${a.body.version}.`;
    auditTrail(base.id).catch(onSignedOut);
  } else if (a.status === 412) {
    await conflict();
  } else {
    showProblem(a);
  }
}

// showProblem puts each error of a problem document next to the field
// its location names (body.phone.number → Phone), and the rest, with the
// problem's own words, above the form.
function showProblem(a) {
  const rest = [];
  for (const e of a.body?.errors || []) {
    const f = fieldFor(e.location || "");
    if (!f) {
      rest.push(`${e.location}: ${e.message}`);
      continue;
    }
    const p = $(errorId(f));
    p.textContent = p.hidden ? e.message : `${p.textContent} ${e.message}`;
    p.hidden = false;
    $(inputId(f)).setAttribute("aria-invalid", "true");
  }
  formError([`Not saved: ${a.problemText.replace(/\.$/, "")}.`, rest.length ? rest.join("; ") : "See the messages next to the fields."]);
  const first = document.querySelector("[aria-invalid=true]");
  first?.focus();
}

// fieldFor finds the field a location names, or the field holding it
// (body.phone → Phone number).
function fieldFor(location) {
  const loc = location.replace(/^body\./, "");
  return FIELDS.find((f) => key(f) === loc) || FIELDS.find((f) => key(f).startsWith(`${loc}.`)) ||
    FIELDS.find((f) => loc.startsWith(`${key(f)}.`));
}

function formError(lines) {
  const p = $("form-error");
  p.textContent = lines.filter(Boolean).join(" ");
  p.hidden = p.textContent === "";
}

function clearErrors() {
  formError([]);
  for (const f of FIELDS) {
    $(errorId(f)).hidden = true;
    $(errorId(f)).textContent = "";
    $(inputId(f)).removeAttribute("aria-invalid");
  }
}

// conflict shows the version saved meanwhile next to the edits: the
// edits stay in the form until the user chooses.
async function conflict() {
  const a = await api("GET", `v1/users/${encodeURIComponent(base.id)}`);
  if (!a.ok) {
    formError(["Someone else changed this user meanwhile, and it could not be read again: " + a.problemText]);
    return;
  }
  const theirs = a.body;
  const mine = formValues();
  const box = $("conflict");
  const h = document.createElement("h2");
  h.textContent = "Conflict: someone else saved this user";
  const p = document.createElement("p");
  p.textContent = `You edited version ${base.version}; version ${theirs.version} was saved meanwhile. Nothing of yours was saved.`;
  const table = document.createElement("table");
  table.innerHTML = "<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Their version</th><th scope=\"col\">Yours</th></tr></thead>";
  const body = document.createElement("tbody");
  for (const f of FIELDS) {
    const t = String(get(theirs, f.path) ?? "");
    const was = String(get(base, f.path) ?? "");
    if (t === was && mine[key(f)] === was) continue; // nobody changed it
    const tr = document.createElement("tr");
    const yours = (mine[key(f)] || "(empty)") + (mine[key(f)] === was ? " (not edited)" : "");
    for (const text of [f.label, t || "(empty)", yours]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  const actions = document.createElement("div");
  actions.className = "actions";
  const take = button("Use their version", null, () => {
    box.hidden = true;
    setUser(theirs, a.headers.get("ETag"));
  });
  const keep = button("Keep my edits on their version", null, () => {
    box.hidden = true;
    rebase(theirs, a.headers.get("ETag"), mine);
    $("save-status").textContent = "Your edits are on their version now: check them and save.";
  });
  actions.append(take, keep);
  box.replaceChildren(h, p, table, actions);
  box.hidden = false;
  take.focus();
}

// rebase loads theirs and puts back only the fields edited here, so
// that saving again keeps their other changes.
function rebase(theirs, tag, mine) {
  const edited = FIELDS.filter((f) => mine[key(f)] !== String(get(base, f.path) ?? ""));
  setUser(theirs, tag);
  for (const f of edited) $(inputId(f)).value = mine[key(f)];
}

