// SPDX-License-Identifier: Apache-2.0
//
// A user's page: the fields labelled in words, saved with If-Match and
// errors next to their fields (form.js); tags, memberships and roles;
// the user's audit trail as before/after.

import { api } from "./api.js";
import { displayName } from "./users.js";
import { auditTrail } from "./audit.js";
import { initSessions, showSessions } from "./sessions.js";
import { initAccess, showAccess } from "./access.js";
import { initMemberships, showMemberships } from "./memberships.js";
import { ResourceForm } from "./form.js";
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

const form = new ResourceForm({
  prefix: "u", fields: FIELDS, noun: "user",
  ids: { error: "form-error", conflict: "conflict", status: "save-status" },
  onSet: showFacts, onSaved: () => auditTrail(form.base.id).catch(onSignedOut), onError: (e) => onSignedOut(e),
});
let onSignedOut = () => {};

const userURL = () => `v1/users/${encodeURIComponent(form.base.id)}`;

export function initUser(onError) {
  onSignedOut = onError;
  $("user-fields").replaceChildren(...form.rows());
  $("user-form").addEventListener("submit", (e) => {
    e.preventDefault();
    form.save(userURL());
  });
  $("mfa-off").addEventListener("click", () => mfaOff().catch(onError));
  $("tag-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("new-tag").value.trim();
    if (name) changeTags("POST", "tags", { tags: [{ name }] }).catch(onError);
  });
  initSessions(onError);
  initAccess(onError);
  initMemberships(form, onError);
}

// changeTags adds or removes tags with If-Match, like a save: a tag
// change made on a version someone else changed meanwhile is refused
// and shown as a conflict. Edits in the form stay.
async function changeTags(method, path, body) {
  const err = $("tag-error");
  err.hidden = true;
  const a = await form.write(method, `${userURL()}/${path}`, body, userURL());
  if (!a) return;
  if (!a.ok) {
    err.textContent = a.body?.errors?.[0]?.message || a.problemText;
    err.hidden = false;
    return;
  }
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
  const a = await api("DELETE", `${userURL()}/mfa/totp`, { body: {} });
  if (!a.ok) {
    $("mfa-state").textContent = `Two-factor sign-in is on. Not turned off: ${a.problemText}`;
    return;
  }
  await showUser(form.base.id);
  $("save-status").textContent = "Two-factor sign-in is off.";
}

// showUser opens the page of user id.
export async function showUser(id) {
  form.clearErrors();
  $("save-status").textContent = "";
  $("user-h").textContent = "User";
  try {
    const a = await api("GET", `v1/users/${encodeURIComponent(id)}`);
    if (!a.ok) {
      form.formError([a.problemText]);
      $("user-form").hidden = true;
      return;
    }
    $("user-form").hidden = false;
    form.set(a.body, a.headers.get("ETag"));
    auditTrail(id).catch(onSignedOut);
    showSessions(id).catch(onSignedOut);
    showAccess(id);
  } catch (e) {
    onSignedOut(e);
  }
}

// showFacts shows what the form does not edit: the heading, version,
// tags, memberships and two-factor state.
function showFacts(u) {
  $("user-h").textContent = displayName(u);
  document.title = `${displayName(u)} · Roster console`;
  const roles = (u.roles || []).join(", ") || "none";
  $("user-meta").textContent = `Version ${u.version} · ${u.id} · roles: ${roles}`;
  renderTags(u);
  showMemberships(u);
  $("mfa-state").textContent = u.mfa_enabled ? "Two-factor sign-in is on." : "Two-factor sign-in is off.";
  $("mfa-off").hidden = !u.mfa_enabled;
}
