// SPDX-License-Identifier: Apache-2.0
//
// A user's memberships and roles on the user's page: each organisation
// the user belongs to with its roles; adding a membership, changing a
// role, removing one. Only the roles the signed-in user may grant there
// are offered (rank.js); the server still decides, and a refusal is
// shown in its own words. A membership is part of its user, so each
// change goes with the user's If-Match (form.write).

import { forget, grantable, highest, org, rankIn, remember } from "./rank.js";
import { api } from "./api.js";
import { $, button } from "./dom.js";

let form; // the user page's ResourceForm
let onError = () => {};
let shown = 0; // the latest render: an older one that finishes later is dropped
let administered = null; // the organisations the caller administers, read once

export function initMemberships(userForm, handle) {
  form = userForm;
  onError = handle;
  $("membership-form").addEventListener("submit", (e) => {
    e.preventDefault();
    change("PUT", $("new-membership-org").value, $("new-membership-role").value).catch(onError);
  });
  $("new-membership-org").addEventListener("change", () => offerRoles($("new-membership-role"), $("new-membership-org").value).catch(onError));
}

// showMemberships lists u's memberships and what the caller may change.
export function showMemberships(u) {
  const turn = ++shown;
  $("membership-error").hidden = true;
  render(u, turn).catch(onError);
}

async function render(u, turn) {
  const items = [];
  for (const m of u.memberships || []) items.push(await membershipItem(u, m));
  const choices = (await administeredOrgs()).filter((o) => !(u.memberships || []).some((m) => m.organization_id === o.id));
  if (turn !== shown) return;
  $("memberships").replaceChildren(...items);
  const sel = $("new-membership-org");
  sel.replaceChildren(...choices.map((o) => new Option(o.name, o.id)));
  $("membership-form").hidden = choices.length === 0;
  if (choices.length) await offerRoles($("new-membership-role"), sel.value);
}

// administeredOrgs are the organisations (of the first 200 the caller
// sees) where the caller is admin or owner: where it may add members.
async function administeredOrgs() {
  if (!administered) {
    const a = await api("GET", "v1/orgs?limit=200");
    const list = a.ok ? a.body.items || [] : [];
    remember(list);
    const ranks = await Promise.all(list.map((o) => rankIn(o.id)));
    administered = list.filter((_, i) => grantable(ranks[i]).length > 0);
  }
  return administered;
}

// offerRoles fills a role select with the roles the caller may grant in
// organisation orgID, keeping the chosen one when it is among them.
async function offerRoles(select, orgID, current = "member") {
  const roles = grantable(await rankIn(orgID));
  select.replaceChildren(...roles.map((r) => new Option(r, r)));
  select.value = roles.includes(current) ? current : roles[0] || "";
  return roles;
}

async function membershipItem(u, m) {
  const o = await org(m.organization_id);
  const name = o?.name || m.organization_id;
  const home = m.organization_id === u.organization_id;
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `#/orgs/${encodeURIComponent(m.organization_id)}`;
  a.textContent = name;
  const facts = document.createElement("span");
  facts.className = "hint";
  facts.textContent = `Roles: ${(m.roles || []).join(", ") || "none"}${home ? " · home organisation" : ""}`;
  li.append(a, facts);
  const current = highest(m.roles);
  const select = document.createElement("select");
  const roles = await offerRoles(select, m.organization_id, current);
  if (roles.length === 0) return li; // the caller may not change memberships here
  if (!roles.includes(current)) {
    facts.textContent += ` · only an owner changes the roles of an ${current}`;
    return li;
  }
  const row = document.createElement("div");
  row.className = "inline";
  const field = document.createElement("div");
  field.className = "field";
  select.id = `role-${m.organization_id}`;
  const label = document.createElement("label");
  label.htmlFor = select.id;
  label.textContent = `Role in ${name}`;
  field.append(label, select);
  row.append(field, button("Set role", `Set role in ${name}`, () => change("PUT", m.organization_id, select.value).catch(onError)));
  if (!home) row.append(button("Remove", `Remove membership of ${name}`, () => change("DELETE", m.organization_id).catch(onError)));
  li.append(row);
  return li;
}

// change sets the user's role in orgID (PUT) or removes the membership
// (DELETE), with the user's If-Match.
async function change(method, orgID, role) {
  const err = $("membership-error");
  err.hidden = true;
  const name = (await org(orgID))?.name || orgID;
  const userURL = `v1/users/${encodeURIComponent(form.base.id)}`;
  const url = `v1/orgs/${encodeURIComponent(orgID)}/members/${encodeURIComponent(form.base.id)}`;
  const a = await form.write(method, url, method === "PUT" ? { roles: [role] } : undefined, userURL);
  if (!a) return;
  if (!a.ok) {
    err.textContent = `${method === "PUT" ? `The role ${role} in ${name} was not set` : `The membership of ${name} was not removed`}: ${a.problemText}`;
    err.hidden = false;
    return;
  }
  // The caller may have changed its own memberships: read them again.
  forget();
  administered = null;
  form.status(method === "PUT" ? `Role in ${name}: ${role}.` : `Membership of ${name} removed.`);
  showMemberships(form.base);
}
