// SPDX-License-Identifier: Apache-2.0
//
// Small DOM helpers the views share. Text goes in with textContent,
// never as HTML: nothing the API answers is parsed as markup.

export const $ = (id) => document.getElementById(id);

// button makes a button; label, when given, is its accessible name, and
// must hold the visible text (WCAG 2.5.3, "label in name").
export function button(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

// when shows a time of the API in the browser's language and zone.
export function when(t) {
  return t ? new Date(t).toLocaleString() : "";
}

// listPage shows a page of a list answer a in list (appended after the
// pages before when more is true) with item(x) for each entry, says
// empty in note when there is nothing, and shows moreButton while there
// is a next page. It returns the next page's cursor (null on the last).
export function listPage(a, { list, note, moreButton, item, empty, more }) {
  if (!a.ok) {
    note.textContent = a.problemText;
    return null;
  }
  const items = (a.body.items || []).map(item);
  if (more) list.append(...items);
  else list.replaceChildren(...items);
  note.textContent = list.children.length === 0 ? empty : "";
  moreButton.hidden = !a.body.next_cursor;
  return a.body.next_cursor || null;
}
