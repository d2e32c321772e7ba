// SPDX-License-Identifier: Apache-2.0
//
// Getting a user in: setting a new password (as the user's admin, who
// sends no current password) and making an SSO link, a one-time link
// that signs a browser in as the user for one of the product's apps. The
// API decides who may: its refusal is shown next to the field it names.

import { api } from "./api.js";
import { $ } from "./dom.js";

let userID = "";

export function initAccess(onError) {
  $("password-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setPassword().catch(onError);
  });
  $("sso-form").addEventListener("submit", (e) => {
    e.preventDefault();
    ssoLink().catch(onError);
  });
  $("sso-copy").addEventListener("click", () => navigator.clipboard.writeText($("sso-url").href));
}

// showAccess resets the forms for user id.
export function showAccess(id) {
  userID = id;
  $("new-password").value = "";
  $("password-status").textContent = "";
  $("sso-result").hidden = true;
  for (const id of ["password-error", "sso-error"]) fieldError(id, "");
}

function fieldError(id, text) {
  const p = $(id);
  p.textContent = text;
  p.hidden = !text;
  const input = $(id === "password-error" ? "new-password" : "sso-client");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

// refusal is the words of a refused call for the field it concerns.
function refusal(a) {
  return (a.body?.errors || []).map((e) => e.message).join(" ") || a.problemText;
}

async function setPassword() {
  fieldError("password-error", "");
  const a = await api("POST", `v1/users/${encodeURIComponent(userID)}/password`, { body: { new_password: $("new-password").value } });
  if (!a.ok) {
    fieldError("password-error", refusal(a));
    return;
  }
  $("new-password").value = "";
  $("password-status").textContent = "Password set. The user's other tokens are revoked; API keys stay.";
}

// forgetSSOLink takes a shown SSO link (a one-time bearer URL) out of the
// page, not merely out of sight.
function forgetSSOLink() {
  const link = $("sso-url");
  link.removeAttribute("href");
  link.textContent = "";
  $("sso-result").hidden = true;
}
window.addEventListener("hashchange", forgetSSOLink);
window.addEventListener("pagehide", forgetSSOLink);

async function ssoLink() {
  fieldError("sso-error", "");
  forgetSSOLink();
  const a = await api("POST", `v1/users/${encodeURIComponent(userID)}/sso-links`, {
    body: { client_id: $("sso-client").value.trim(), redirect_uri: $("sso-redirect").value.trim() },
  });
  if (!a.ok) {
    fieldError("sso-error", refusal(a));
    return;
  }
  const link = $("sso-url");
  link.href = a.body.url;
  link.textContent = a.body.url;
  $("sso-result").hidden = false;
}
