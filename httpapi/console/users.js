// SPDX-License-Identifier: Apache-2.0
//
// The users view: search as you type (the q search, debounced, a stale
// request aborted when a newer one starts), filters, cursor paging.

import { api, query } from "./api.js";
import { $ } from "./dom.js";

// DEBOUNCE_MS is how long the search box waits after a key for the
// next one. It is all but the whole time from the last key to the list
// (a search takes milliseconds even at a million users:
// scripts/bench-console.sh), so it is short: a burst of keys is still one
// search, a slow typist's keys may each be one, and a stale one is
// aborted when the next starts.
const DEBOUNCE_MS = 100;
const PAGE = 25;

let timer = 0;
let inFlight = null;
// cursors[i] is the cursor of page i (null for the first); Previous goes
// back through them, since the API's cursors only go forward.
let cursors = [null];
let nextCursor = null;
let orgNames = new Map();

// initUsers wires the view's controls once; onError handles a call that
// failed because the session ended.
export function initUsers(onError) {
  const form = $("search");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    search(onError);
  });
  $("q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(onError), DEBOUNCE_MS);
  });
  $("f-tag").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(onError), DEBOUNCE_MS);
  });
  for (const id of ["f-status", "f-org", "f-role"]) {
    $(id).addEventListener("change", () => search(onError));
  }
  $("next").addEventListener("click", () => {
    cursors.push(nextCursor);
    load(onError);
  });
  $("prev").addEventListener("click", () => {
    cursors.pop();
    load(onError);
  });
}

// showUsers is called when the view opens: the first time it loads the
// organisations for the filter and the first page.
let loaded = false;
export async function showUsers(onError) {
  if (loaded) return;
  loaded = true;
  await Promise.all([loadOrgs(onError), search(onError)]);
}

function search(onError) {
  clearTimeout(timer);
  cursors = [null];
  return load(onError);
}

function filters() {
  return {
    q: $("q").value.trim(), status: $("f-status").value, organization_id: $("f-org").value,
    tag: $("f-tag").value.trim(), role: $("f-role").value,
  };
}

async function load(onError) {
  inFlight?.abort();
  const ctl = new AbortController();
  inFlight = ctl;
  const list = $("results");
  list.setAttribute("aria-busy", "true");
  try {
    const a = await api("GET", query("v1/users", { ...filters(), limit: PAGE, cursor: cursors.at(-1) }), { signal: ctl.signal });
    if (ctl.signal.aborted) return;
    if (!a.ok) {
      showError(a.problemText);
      render([], null);
      return;
    }
    showError("");
    render(a.body.items || [], a.body.next_cursor ?? null);
  } catch (e) {
    if (e.name === "AbortError") return;
    onError(e);
  } finally {
    if (inFlight === ctl) {
      inFlight = null;
      list.setAttribute("aria-busy", "false");
    }
  }
}

function showError(text) {
  const p = $("results-error");
  p.textContent = text;
  p.hidden = !text;
}

function render(users, next) {
  nextCursor = next;
  const list = $("results");
  list.replaceChildren(...users.map(userItem));
  $("next").disabled = !next;
  $("prev").disabled = cursors.length < 2;
  const page = cursors.length > 1 ? ` on page ${cursors.length}` : "";
  $("status").textContent = users.length === 0 ? "No users match." : `${users.length} ${users.length === 1 ? "user" : "users"} shown${page}.`;
}

export function displayName(u) {
  return u.display_name || [u.first_name, u.last_name].filter(Boolean).join(" ") || u.username || u.email;
}

function userItem(u) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = `#/users/${encodeURIComponent(u.id)}`;
  a.textContent = displayName(u);
  const meta = document.createElement("span");
  meta.className = "hint";
  const org = orgNames.get(u.organization_id) || u.organization_id;
  meta.textContent = [u.email, u.status === "disabled" ? "disabled" : "", org].filter(Boolean).join(" · ");
  li.append(a, meta);
  return li;
}

// loadOrgs fills the organisation filter with the organisations the user
// may see (the first 200; a caller without orgs:read gets none and the
// filter keeps only "Any").
async function loadOrgs(onError) {
  try {
    const a = await api("GET", "v1/orgs?limit=200");
    if (!a.ok) return;
    const sel = $("f-org");
    for (const o of a.body.items || []) {
      orgNames.set(o.id, o.name);
      sel.append(new Option(o.name, o.id));
    }
  } catch (e) {
    onError(e);
  }
}
