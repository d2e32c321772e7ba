// SPDX-License-Identifier: Apache-2.0
//
// A secret the API shows once (a webhook's signing secret, an API key,
// an OAuth client's secret): shown in a read-only field with a copy
// button until the view is left or reloaded. The console keeps it
// nowhere: the API never shows it again.

// showSecret fills into (an element that says what happened) with the
// secret named label and its copy button, and moves focus there.
export function showSecret(into, label, value) {
  const id = `secret-${Math.random().toString(36).slice(2)}`;
  const l = document.createElement("label");
  l.htmlFor = id;
  l.textContent = label;
  const box = document.createElement("input");
  box.id = id;
  box.readOnly = true;
  box.className = "secret";
  box.value = value;
  box.spellcheck = false;
  const said = document.createElement("span");
  said.setAttribute("role", "status");
  const copy = document.createElement("button");
  copy.type = "button";
  copy.textContent = "Copy";
  copy.setAttribute("aria-label", `Copy ${label}`);
  copy.addEventListener("click", () => copyText(box, said));
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = "Shown this once: copy it now, it cannot be read again.";
  const row = document.createElement("div");
  row.className = "secret-row";
  row.append(box, copy, said);
  into.replaceChildren(l, row, hint);
  into.hidden = false;
  box.focus();
  box.select();
}

// copyText copies the secret with the clipboard API, or, where there is
// none (plain http to a host other than localhost, older browsers),
// selects it for the person to copy with their keyboard.
async function copyText(box, said) {
  try {
    await navigator.clipboard.writeText(box.value);
    said.textContent = " Copied.";
  } catch {
    box.focus();
    box.select();
    said.textContent = " Selected: press Ctrl+C (⌘C on a Mac) to copy.";
  }
}

// hideSecret forgets a secret shown in into.
export function hideSecret(into) {
  into.replaceChildren();
  into.hidden = true;
}

// Leaving a view, or the page (a page kept in the back/forward cache
// would show it again), forgets the secret it showed: it is not kept in a
// hidden part of the page either.
function forgetSecrets() {
  for (const box of document.querySelectorAll(".secret-box")) hideSecret(box);
}
window.addEventListener("hashchange", forgetSecrets);
window.addEventListener("pagehide", forgetSecrets);
