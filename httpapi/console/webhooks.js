// SPDX-License-Identifier: Apache-2.0
//
// Webhooks: the ones the signed-in user administers, each with its
// delivery log (attempts and the receiver's answers), "Deliver again" on
// a delivery, and a test message sent now.

import { api, query } from "./api.js";
import { $, button, when } from "./dom.js";

export async function showWebhooks(onError) {
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
    onError(e);
  }
}

function webhookItem(w) {
  const li = document.createElement("li");
  const h = document.createElement("h2");
  h.textContent = w.name || w.url;
  const p = document.createElement("p");
  p.className = "hint";
  p.textContent = [w.status, w.disabled_reason, `${w.method} ${w.url}`, (w.events || w.event_types || []).join(", ") || "every event"].filter(Boolean).join(" · ");
  const result = document.createElement("p");
  result.setAttribute("role", "status");
  const log = document.createElement("div");
  log.hidden = true;
  const show = button("Deliveries", `Deliveries of ${h.textContent}`, async () => {
    const open = show.getAttribute("aria-expanded") !== "true";
    show.setAttribute("aria-expanded", String(open));
    log.hidden = !open;
    if (open) await deliveries(w, log);
  });
  show.setAttribute("aria-expanded", "false");
  const test = button("Send a test", `Send a test to ${h.textContent}`, async () => {
    result.textContent = "Sending…";
    const a = await api("POST", `v1/webhooks/${encodeURIComponent(w.id)}/test`);
    result.textContent = !a.ok ? a.problemText
      : `${a.body.succeeded ? "Delivered" : "Not delivered"}: ${a.body.status_code ? `HTTP ${a.body.status_code}` : a.body.error || ""} in ${Math.round(a.body.latency_ms)} ms.`;
  });
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(show, test);
  li.append(h, p, actions, result, log);
  return li;
}

// deliveries shows a webhook's delivery log, newest first.
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
  head.innerHTML = "<tr><th scope=\"col\">Event</th><th scope=\"col\">Status</th><th scope=\"col\">Last attempt</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr>";
  const body = document.createElement("tbody");
  for (const d of items) {
    const tr = document.createElement("tr");
    const last = (d.attempts || []).at(-1);
    const answer = last ? `${when(last.at)}: ${last.status_code ? `HTTP ${last.status_code}` : last.error || "no answer"} (attempt ${last.attempt} of ${d.attempt_count})` : "";
    const next = d.next_attempt_at ? `; next ${when(d.next_attempt_at)}` : "";
    for (const text of [`${d.event_type} ${d.resource_id}`, d.status, answer + next]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    const out = document.createElement("span");
    out.setAttribute("role", "status");
    td.append(button("Deliver again", `Deliver again: ${d.event_type} of ${d.resource_id}`, async () => {
      const r = await api("POST", `v1/webhooks/${encodeURIComponent(w.id)}/deliveries/${encodeURIComponent(d.id)}/retry`);
      out.textContent = r.ok ? " Queued." : ` ${r.problemText}`;
    }), out);
    tr.append(td);
    body.append(tr);
  }
  table.append(cap, head, body);
  into.replaceChildren(table);
}
