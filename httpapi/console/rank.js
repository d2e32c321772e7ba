// SPDX-License-Identifier: Apache-2.0
//
// The signed-in user's rank in an organisation, from its own memberships
// (GET /v1/users/me): a role held in O reaches below O, so the rank in
// an organisation is the highest role held in it or an ancestor. The
// console offers only the roles this rank may grant (PRODUCT.md section
// 3: admins grant up to manager, owners every role); the server still
// decides, and its refusal is shown as it comes.

import { api } from "./api.js";

export const ROLES = ["member", "manager", "admin", "owner"];

const rankOf = (roles) => Math.max(-1, ...(roles || []).map((r) => ROLES.indexOf(r)));

let mine = null; // organisation id → the caller's rank there
// organisation id → the organisation as read (null: not readable), a
// promise so that walks up from many organisations at once read a
// shared ancestor once.
const orgs = new Map();

// remember keeps organisations already read (a list page), so that
// walking up to an ancestor costs no call.
export function remember(list) {
  for (const o of list) orgs.set(o.id, Promise.resolve(o));
}

// org is organisation id, or null when the caller may not read it.
export function org(id) {
  if (!orgs.has(id)) {
    orgs.set(id, api("GET", `v1/orgs/${encodeURIComponent(id)}`).then((a) => (a.ok ? a.body : null)));
  }
  return orgs.get(id);
}

async function myRanks() {
  if (!mine) {
    const a = await api("GET", "v1/users/me");
    if (!a.ok) throw new Error(a.problemText);
    mine = new Map((a.body.memberships || []).map((m) => [m.organization_id, rankOf(m.roles)]));
  }
  return mine;
}

// rankIn is the caller's rank in organisation id (-1: none), walking up
// the ancestors it can read.
export async function rankIn(id) {
  const ranks = await myRanks();
  let best = -1;
  for (let at = id, seen = 0; at && seen < 64; seen++) {
    best = Math.max(best, ranks.get(at) ?? -1);
    at = (await org(at))?.parent_id;
  }
  return best;
}

// grantable are the roles a caller of rank may give in an organisation:
// none below admin, up to manager for an admin, every role for an owner.
export function grantable(rank) {
  if (rank >= ROLES.indexOf("owner")) return ROLES;
  if (rank >= ROLES.indexOf("admin")) return ROLES.slice(0, ROLES.indexOf("admin"));
  return [];
}

// highest is the highest of roles, the one the console shows and sets.
export function highest(roles) {
  return ROLES[rankOf(roles)] || "";
}

// forget drops what was read, at a sign-out or when the caller's own
// memberships may have changed.
export function forget() {
  mine = null;
  orgs.clear();
}
