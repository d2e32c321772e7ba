// SPDX-License-Identifier: Apache-2.0
//
// Editor forms built in script for the webhooks, API keys and OAuth
// clients views (the user and organisation pages, whose fields are
// edited in place, use form.js's ResourceForm): every input with its
// label, an optional hint and a place for its error, tied together with
// aria-describedby; and a problem document's errors put next to the
// fields they name (body.auth.password → the input whose data-field is
// auth.password), the rest at the top.

let seq = 0;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// input makes an input for the API field named field (its location in
// the body without "body."), of type type, holding value.
export function input(field, type = "text", value = "") {
  const i = el("input");
  i.type = type;
  i.dataset.field = field;
  i.autocomplete = "off";
  i.spellcheck = false;
  if (type === "checkbox") i.checked = Boolean(value);
  else i.value = value ?? "";
  return i;
}

// textarea makes a textarea for the API field named field.
export function textarea(field, value = "") {
  const t = el("textarea");
  t.dataset.field = field;
  t.rows = 3;
  t.spellcheck = false;
  t.value = value;
  return t;
}

// select makes a select for field from options ([value, text] pairs or
// plain values).
export function select(field, options, value = "") {
  const s = el("select");
  s.dataset.field = field;
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const opt = el("option", "", text);
    opt.value = v;
    s.append(opt);
  }
  s.value = value ?? "";
  return s;
}

// field wraps control with its label, hint and error place.
export function field(label, control, hint) {
  control.id ||= `c${++seq}`;
  const wrap = el("div", control.type === "checkbox" ? "field check" : "field");
  const l = el("label", "", label);
  l.htmlFor = control.id;
  const err = el("p", "field-error");
  err.id = `${control.id}-error`;
  err.hidden = true;
  const described = [err.id];
  if (control.type === "checkbox") wrap.append(control, l);
  else wrap.append(l, control);
  if (hint) {
    const h = el("span", "hint", hint);
    h.id = `${control.id}-hint`;
    wrap.append(h);
    described.unshift(h.id);
  }
  wrap.append(err);
  control.setAttribute("aria-describedby", described.join(" "));
  return wrap;
}

// choices is a group of checkboxes for a list field (allowed_scopes,
// grant_types, …): one per option, the checked ones from values.
export function choices(legend, fieldName, options, values = []) {
  const fs = el("fieldset", "choices");
  fs.dataset.field = fieldName;
  fs.append(el("legend", "", legend));
  for (const o of options) {
    const box = input(`${fieldName}[]`, "checkbox", values.includes(o));
    box.value = o;
    fs.append(field(o, box));
  }
  const err = el("p", "field-error");
  err.id = `c${++seq}-error`;
  err.hidden = true;
  fs.setAttribute("aria-describedby", err.id);
  fs.append(err);
  return fs;
}

// checked lists the values checked in a choices group.
export function checked(group) {
  return [...group.querySelectorAll("input[type=checkbox]:checked")].map((b) => b.value);
}

// lines splits a textarea's text into its non-empty lines.
export function lines(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean);
}

// clearErrors hides every error of form (and its top message in top).
export function clearErrors(form, top) {
  for (const e of form.querySelectorAll(".field-error")) {
    e.textContent = "";
    e.hidden = true;
  }
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  top.textContent = "";
  top.hidden = true;
}

// showErrors puts a refused call's errors next to the fields of form
// they name; what names no field goes to top, with the problem's detail
// when there are no field errors at all.
export function showErrors(form, top, answer) {
  clearErrors(form, top);
  const rest = [];
  for (const e of answer.body?.errors || []) {
    const control = controlFor(form, (e.location || "").replace(/^body\./, ""));
    if (!control) {
      rest.push(`${e.location}: ${e.message}`);
      continue;
    }
    const err = document.getElementById((control.getAttribute("aria-describedby") || "").split(" ").at(-1));
    err.textContent = [err.textContent, e.message].filter(Boolean).join(" ");
    err.hidden = false;
    control.setAttribute("aria-invalid", "true");
  }
  if (rest.length > 0 || !answer.body?.errors?.length) {
    top.textContent = rest.join(" ") || answer.problemText;
    top.hidden = false;
  }
  form.querySelector("[aria-invalid=true]")?.focus();
}

// controlFor finds the control a location names (auth.password,
// redirect_uris[1] → redirect_uris, headers.X-Name → headers), or null.
function controlFor(form, loc) {
  const controls = [...form.querySelectorAll("[data-field]")];
  for (let l = loc; l; ) {
    const c = controls.find((x) => x.dataset.field === l);
    if (c) return c;
    const shorter = l.replace(/(\[\d+\]|\.[^.[]*)$/, "");
    if (shorter === l) return null;
    l = shorter;
  }
  return null;
}

// row makes a div of className holding children.
export function row(className, ...children) {
  const d = el("div", className);
  d.append(...children);
  return d;
}

// editor opens into an editor form: a heading (focused, so keyboard
// and screen reader users start there), the place for errors that name
// no field, parts, and Save / Cancel. onSubmit(form, top) runs on
// submit; onCancel closes it.
export function editor(into, { title, save, parts, onSubmit, onCancel }) {
  const form = el("form");
  form.noValidate = true;
  const h = el("h2", "", title);
  h.id = `${into.id}-h`;
  h.tabIndex = -1;
  form.setAttribute("aria-labelledby", h.id);
  const top = el("p", "error");
  top.setAttribute("role", "alert");
  top.hidden = true;
  const submit = el("button", "primary", save);
  submit.type = "submit";
  const cancel = el("button", "", "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", onCancel);
  form.append(h, top, ...parts, row("actions", submit, cancel));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit(form, top);
  });
  into.replaceChildren(form);
  into.hidden = false;
  h.focus();
}

// saved reports a save's answer a: true when it went through; otherwise
// the form shows why — a change made meanwhile (412: nothing was
// overwritten) or the errors next to their fields.
export function saved(form, top, a, what) {
  if (a.ok) return true;
  if (a.status === 412) {
    clearErrors(form, top);
    top.textContent = `Someone changed this ${what} while you edited it. Cancel and open it again to see their change; nothing was saved.`;
    top.hidden = false;
  } else {
    showErrors(form, top, a);
  }
  return false;
}
