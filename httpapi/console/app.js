// SPDX-License-Identifier: Apache-2.0
//
// The console's start: finish a sign-in on /console/callback, show the
// sign-in button when signed out, and otherwise the view the #fragment
// names (#/users, #/users/{id}, #/orgs, #/orgs/{id}, #/webhooks, #/keys,
// #/clients).

import { claims, finishSignIn, signIn, signOut, signedIn } from "./auth.js";
import { SignedOut } from "./api.js";
import { initUsers, showUsers } from "./users.js";
import { initUser, showUser } from "./user.js";
import { showOrgs } from "./orgs.js";
import { initOrg, showOrg } from "./org.js";
import { initWebhooks, showWebhooks } from "./webhooks.js";
import { initKeys, showKeys } from "./keys.js";
import { initClients, showClients } from "./clients.js";
import { $ } from "./dom.js";

const VIEWS = ["view-signin", "view-users", "view-user", "view-orgs", "view-org", "view-webhooks", "view-keys", "view-clients"];

// ITEMS are the views of one user or organisation, which a #fragment
// names by its id: the view, its heading, and what fills it (and sets
// the title to the item's name).
const ITEMS = [
  [/^#\/users\/([^/]+)$/, "view-user", "user-h", showUser],
  [/^#\/orgs\/([^/]+)$/, "view-org", "org-h", showOrg],
];

// PAGES are the other views a #fragment names, besides the users:
// title, view, its heading, and what fills it.
const PAGES = {
  "#/orgs": ["Organisations", "view-orgs", "orgs-h", showOrgs],
  "#/webhooks": ["Webhooks", "view-webhooks", "webhooks-h", showWebhooks],
  "#/keys": ["API keys", "view-keys", "keys-h", showKeys],
  "#/clients": ["OAuth clients", "view-clients", "clients-h", showClients],
};

function showView(id, heading) {
  for (const v of VIEWS) $(v).hidden = v !== id;
  $("status").textContent = "";
  // Move focus to the new view's heading, so that keyboard and screen
  // reader users start there, as after a page load.
  $(heading)?.focus();
}

// onError handles what a view could not: an ended session goes back to
// the sign-in view; anything else is shown.
function onError(e) {
  if (e instanceof SignedOut) {
    showSignIn("Your session has ended. Sign in again.");
    return;
  }
  $("status").textContent = `Something went wrong: ${e.message}`;
}

function showSignIn(message) {
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  const err = $("signin-error");
  err.textContent = message || "";
  err.hidden = !message;
  showView("view-signin", "signin-h");
}

function route() {
  if (!signedIn()) {
    showSignIn();
    return;
  }
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  const c = claims();
  $("who").textContent = c.name || c.email || "";
  for (const [pattern, view, heading, show] of ITEMS) {
    const m = location.hash.match(pattern);
    if (m) {
      showView(view, heading);
      show(decodeURIComponent(m[1]));
      return;
    }
  }
  const page = PAGES[location.hash];
  if (page) {
    const [title, view, heading, show] = page;
    document.title = `${title} · Roster console`;
    showView(view, heading);
    show(onError);
    return;
  }
  document.title = "Users · Roster console";
  showView("view-users", "users-h");
  showUsers(onError);
}

async function start() {
  initUsers(onError);
  initUser(onError);
  initOrg(onError);
  initWebhooks(onError);
  initKeys(onError);
  initClients(onError);
  $("sign-in").addEventListener("click", () => signIn(location.hash || "#/users"));
  $("sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  if (location.pathname.endsWith("/callback")) {
    try {
      history.replaceState(null, "", await finishSignIn()); // no hashchange: route() below
    } catch (e) {
      showSignIn(`The sign-in did not finish: ${e.message}`);
      return;
    }
  }
  route();
}

start();
