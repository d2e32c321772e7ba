// SPDX-License-Identifier: Apache-2.0
//
// The organisation tree (reseller → clients), loaded lazily: a branch's
// children are read (GET /v1/orgs?parent_id=…) when it is opened, a page
// at a time, so a reseller with thousands of clients costs nothing until
// someone looks. It starts at the signed-in user's own organisation.

import { api, query } from "./api.js";
import { $ } from "./dom.js";

const PAGE = 100;

let started = false;

export async function showOrgs(onError) {
  if (started) return;
  started = true;
  try {
    const me = await api("GET", "v1/users/me");
    if (!me.ok) throw new Error(me.problemText);
    const home = await api("GET", `v1/orgs/${encodeURIComponent(me.body.organization_id)}`);
    if (!home.ok) {
      $("orgs-note").textContent = home.problemText;
      return;
    }
    $("orgs").replaceChildren(orgItem(home.body));
  } catch (e) {
    started = false;
    onError(e);
  }
}

// orgItem is one organisation: a button that opens its clients and
// details, a link to its page, and the list its clients go in.
function orgItem(o) {
  const li = document.createElement("li");
  const b = document.createElement("button");
  b.type = "button";
  b.className = "branch";
  b.setAttribute("aria-expanded", "false");
  b.textContent = o.name;
  const detail = document.createElement("p");
  detail.className = "hint";
  detail.textContent = [o.status === "disabled" ? "disabled" : "", o.domain, `credit ${o.credit} ${o.currency}`, `${o.seats} seats`,
    (o.features || []).length ? `features: ${o.features.join(", ")}` : "", o.id].filter(Boolean).join(" · ");
  detail.hidden = true;
  const children = document.createElement("ul");
  children.hidden = true;
  let loaded = false;
  b.addEventListener("click", async () => {
    const open = b.getAttribute("aria-expanded") !== "true";
    b.setAttribute("aria-expanded", String(open));
    detail.hidden = children.hidden = !open;
    if (open && !loaded) {
      loaded = true;
      await loadChildren(o.id, children, null).catch((e) => {
        loaded = false;
        detail.textContent += ` · the clients could not be read: ${e.message}`;
      });
    }
  });
  const page = document.createElement("a");
  page.href = `#/orgs/${encodeURIComponent(o.id)}`;
  page.className = "open";
  page.textContent = "Open";
  page.setAttribute("aria-label", `Open ${o.name}`);
  li.append(b, page, detail, children);
  return li;
}

// loadChildren appends a page of parent's clients to list, with a
// "More clients" button while there are more.
async function loadChildren(parent, list, cursor) {
  const a = await api("GET", query("v1/orgs", { parent_id: parent, limit: PAGE, cursor }));
  if (!a.ok) throw new Error(a.problemText);
  const items = a.body.items || [];
  if (items.length === 0 && !cursor) {
    const none = document.createElement("li");
    none.className = "hint";
    none.textContent = "No clients.";
    list.append(none);
  }
  list.append(...items.map(orgItem));
  if (a.body.next_cursor) {
    const li = document.createElement("li");
    const more = document.createElement("button");
    more.type = "button";
    more.textContent = "More clients";
    more.addEventListener("click", async () => {
      li.remove();
      await loadChildren(parent, list, a.body.next_cursor);
    });
    li.append(more);
    list.append(li);
  }
}
