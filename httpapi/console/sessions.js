// SPDX-License-Identifier: Apache-2.0
//
// A user's browser sessions of the hosted sign-in pages: where and how
// each signed in, ending one, or signing the user out everywhere. Only
// what the API allows the signed-in user: a refusal is shown as it comes.

import { api, query } from "./api.js";
import { $, button, when } from "./dom.js";

let userID = "";

export function initSessions(onError) {
  $("end-all").addEventListener("click", async () => {
    if (!confirm("Sign this user out everywhere? Every session ends and its tokens stop working (API keys stay).")) return;
    await end(`v1/users/${encodeURIComponent(userID)}/sessions`, "Signed out everywhere.").catch(onError);
    await showSessions(userID).catch(onError);
  });
}

export async function showSessions(id) {
  userID = id;
  const list = $("sessions");
  const note = $("sessions-note");
  list.replaceChildren();
  const a = await api("GET", query(`v1/users/${encodeURIComponent(id)}/sessions`, { limit: 50 }));
  if (!a.ok) {
    note.textContent = a.problemText;
    $("end-all").hidden = true;
    return;
  }
  const items = a.body.items || [];
  note.textContent = items.length === 0 ? "No live sessions." : "";
  $("end-all").hidden = items.length === 0;
  list.replaceChildren(...items.map(sessionItem));
}

function sessionItem(s) {
  const li = document.createElement("li");
  const p = document.createElement("p");
  const how = (s.amr || []).join(" + ") || "password";
  p.textContent = `Signed in ${when(s.auth_time)} with ${how}` + (s.address ? ` from ${s.address}` : "") +
    `; last seen ${when(s.last_seen_at)}` + (s.impersonator_id ? `; opened with an SSO link by ${s.impersonator_id}` : "");
  const ua = document.createElement("span");
  ua.className = "hint";
  ua.textContent = s.user_agent || "";
  const b = button("End session", `End session signed in ${when(s.auth_time)}`, async () => {
    await end(`v1/users/${encodeURIComponent(userID)}/sessions/${encodeURIComponent(s.id)}`, "Session ended.");
    await showSessions(userID);
  });
  li.append(p, ua, b);
  return li;
}

async function end(path, done) {
  const a = await api("DELETE", path);
  $("sessions-note").textContent = a.ok ? done : a.problemText;
}
