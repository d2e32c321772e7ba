// SPDX-License-Identifier: Apache-2.0
//
// An editable resource (a user, an organisation): its fields labelled in
// words, saved as a JSON merge patch of what changed with If-Match, so
// that a change made meanwhile by someone else comes back as 412 and is
// shown as a conflict, never overwritten; validation errors from the
// problem document next to the fields they name. The user and
// organisation pages share it so that both behave alike.

import { api } from "./api.js";
import { $, button } from "./dom.js";

// get reads path in obj: undefined where any part is absent.
function get(obj, path) {
  return path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

// A field is { path, label } and optionally: options (a select), type,
// hint, required, readOnly, group (the object its path is in is sent
// whole: the group's first field empty resets it), list (an array shown
// comma-separated) and int (a whole number).
export class ResourceForm {
  // prefix makes the page's element ids; ids names the page's elements:
  // the form's error line, the conflict box and the save status.
  constructor({ prefix, fields, noun, ids, onSet = () => {}, onSaved = () => {}, onError }) {
    Object.assign(this, { prefix, fields, noun, ids, onSet, onSaved, onError });
    this.base = null;
    this.etag = "";
  }

  key(f) { return f.path.join("."); }
  inputId(f) { return `${this.prefix}-${f.path.join("-")}`; }
  errorId(f) { return `${this.prefix}e-${f.path.join("-")}`; }

  // shown is a field's value as the form shows it.
  shown(f, resource) {
    const v = get(resource, f.path);
    if (f.list) return (v || []).join(", ");
    return String(v ?? "");
  }

  rows() {
    return this.fields.map((f) => this.fieldRow(f));
  }

  fieldRow(f) {
    const div = document.createElement("div");
    div.className = "field";
    const label = document.createElement("label");
    label.htmlFor = this.inputId(f);
    label.textContent = f.label;
    let input;
    if (f.options) {
      input = document.createElement("select");
      for (const o of f.options) input.append(new Option(o === "" ? "Not set" : o, o));
    } else {
      input = document.createElement("input");
      input.type = f.type || "text";
      input.autocomplete = "off";
      if (f.int) input.inputMode = "numeric";
    }
    input.id = this.inputId(f);
    input.name = this.key(f);
    if (f.readOnly) input.readOnly = true;
    if (f.required) input.required = true;
    const err = document.createElement("p");
    err.id = this.errorId(f);
    err.className = "field-error";
    err.hidden = true;
    const described = [err.id];
    div.append(label, input);
    if (f.hint) {
      const hint = document.createElement("span");
      hint.id = `${this.prefix}h-${f.path.join("-")}`;
      hint.className = "hint";
      hint.textContent = f.hint;
      div.append(hint);
      described.unshift(hint.id);
    }
    input.setAttribute("aria-describedby", described.join(" "));
    div.append(err);
    return div;
  }

  // set loads resource (with its ETag) into the form.
  set(resource, tag) {
    this.base = resource;
    this.etag = tag || `"${resource.version}"`;
    for (const f of this.fields) $(this.inputId(f)).value = this.shown(f, resource);
    this.onSet(resource);
  }

  // values reads the inputs, by field key.
  values() {
    return Object.fromEntries(this.fields.map((f) => [this.key(f), $(this.inputId(f)).value]));
  }

  // changes is the merge patch from the resource as read to the form:
  // only what was edited, so that fields the page does not show are
  // never touched. An emptied field is reset (null), but a required one
  // is sent empty so that the server names what is wrong with it.
  changes() {
    const v = this.values();
    const patch = {};
    for (const f of this.fields) {
      if (f.readOnly || v[this.key(f)] === this.shown(f, this.base)) continue;
      if (f.group) {
        const members = this.fields.filter((g) => g.group === f.group);
        const first = v[this.key(members[0])].trim();
        patch[f.group] = first === "" ? null
          : Object.fromEntries(members.map((g) => [g.path.at(-1), v[this.key(g)].trim() || undefined]));
        continue;
      }
      const out = parse(f, v[this.key(f)]);
      if (f.path.length === 1) patch[f.path[0]] = out;
      else (patch[f.path[0]] ??= {})[f.path[1]] = out;
    }
    return patch;
  }

  status(text) {
    $(this.ids.status).textContent = text;
  }

  // save sends the changes to url; what the server answers is shown.
  async save(url) {
    this.clearErrors();
    const patch = this.changes();
    if (Object.keys(patch).length === 0) {
      this.status("Nothing changed.");
      return;
    }
    this.status("Saving…");
    let a;
    try {
      a = await api("PATCH", url, { body: patch, headers: { "Content-Type": "application/merge-patch+json", "If-Match": this.etag } });
    } catch (e) {
      this.status("");
      this.onError(e);
      return;
    }
    this.status("");
    if (a.ok) {
      this.set(a.body, a.headers.get("ETag"));
      this.status(`Saved: version ${a.body.version}.`);
      this.onSaved();
    } else if (a.status === 412) {
      await this.conflict(url);
    } else {
      this.showProblem(a);
    }
  }

  // write makes another change of the resource with If-Match (a tag, a
  // membership), keeping the edits in the form. It returns the answer,
  // or null when the change met someone else's and the conflict is shown.
  async write(method, url, body, resourceURL) {
    const a = await api(method, url, { body, headers: { "If-Match": this.etag } });
    if (a.status === 412) {
      await this.conflict(resourceURL);
      return null;
    }
    if (a.ok) {
      const now = await api("GET", resourceURL);
      if (now.ok) this.rebase(now.body, now.headers.get("ETag"), this.values());
    }
    return a;
  }

  // showProblem puts each error of a problem document next to the field
  // its location names (body.phone.number → Phone), and the rest, with
  // the problem's own words, above the form.
  showProblem(a) {
    const rest = [];
    for (const e of a.body?.errors || []) {
      const f = this.fieldFor(e.location || "");
      if (!f) {
        rest.push(`${e.location}: ${e.message}`);
        continue;
      }
      const p = $(this.errorId(f));
      p.textContent = p.hidden ? e.message : `${p.textContent} ${e.message}`;
      p.hidden = false;
      $(this.inputId(f)).setAttribute("aria-invalid", "true");
    }
    this.formError([`Not saved: ${a.problemText.replace(/\.$/, "")}.`, rest.length ? rest.join("; ") : "See the messages next to the fields."]);
    document.querySelector(`[id^="${this.prefix}-"][aria-invalid=true]`)?.focus();
  }

  // fieldFor finds the field a location names, or the field holding it
  // (body.phone → Phone number), or the list holding it (features.2).
  fieldFor(location) {
    const loc = location.replace(/^body\./, "");
    return this.fields.find((f) => this.key(f) === loc) || this.fields.find((f) => this.key(f).startsWith(`${loc}.`)) ||
      this.fields.find((f) => loc.startsWith(`${this.key(f)}.`) || loc.startsWith(`${this.key(f)}[`));
  }

  formError(lines) {
    const p = $(this.ids.error);
    p.textContent = lines.filter(Boolean).join(" ");
    p.hidden = p.textContent === "";
  }

  clearErrors() {
    this.formError([]);
    $(this.ids.conflict).hidden = true;
    for (const f of this.fields) {
      $(this.errorId(f)).hidden = true;
      $(this.errorId(f)).textContent = "";
      $(this.inputId(f)).removeAttribute("aria-invalid");
    }
  }

  // conflict shows the version saved meanwhile next to the edits: the
  // edits stay in the form until the user chooses.
  async conflict(url) {
    const a = await api("GET", url);
    if (!a.ok) {
      this.formError([`Someone else changed this ${this.noun} meanwhile, and it could not be read again: ${a.problemText}`]);
      return;
    }
    const theirs = a.body;
    const tag = a.headers.get("ETag");
    const mine = this.values();
    const box = $(this.ids.conflict);
    const h = document.createElement("h2");
    h.textContent = `Conflict: someone else saved this ${this.noun}`;
    const p = document.createElement("p");
    p.textContent = `You edited version ${this.base.version}; version ${theirs.version} was saved meanwhile. Nothing of yours was saved.`;
    const take = button("Use their version", null, () => {
      box.hidden = true;
      this.set(theirs, tag);
    });
    const keep = button("Keep my edits on their version", null, () => {
      box.hidden = true;
      this.rebase(theirs, tag, mine);
      this.status("Your edits are on their version now: check them and save.");
    });
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(take, keep);
    box.replaceChildren(h, p, this.conflictTable(theirs, mine), actions);
    box.hidden = false;
    take.focus();
  }

  // conflictTable lists the fields either side changed: theirs and mine.
  conflictTable(theirs, mine) {
    const table = document.createElement("table");
    table.innerHTML = "<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Their version</th><th scope=\"col\">Yours</th></tr></thead>";
    const body = document.createElement("tbody");
    for (const f of this.fields) {
      const t = this.shown(f, theirs);
      const was = this.shown(f, this.base);
      if (t === was && mine[this.key(f)] === was) continue; // nobody changed it
      const tr = document.createElement("tr");
      const yours = (mine[this.key(f)] || "(empty)") + (mine[this.key(f)] === was ? " (not edited)" : "");
      for (const text of [f.label, t || "(empty)", yours]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      body.append(tr);
    }
    table.append(body);
    return table;
  }

  // rebase loads theirs and puts back only the fields edited here, so
  // that saving again keeps their other changes.
  rebase(theirs, tag, mine) {
    const edited = this.fields.filter((f) => mine[this.key(f)] !== this.shown(f, this.base));
    this.set(theirs, tag);
    for (const f of edited) $(this.inputId(f)).value = mine[this.key(f)];
  }
}

// parse is a field's value as the API takes it: a list split at commas,
// a whole number as a number (anything else as typed, for the server to
// name what is wrong), an emptied optional field null.
function parse(f, raw) {
  const val = raw.trim();
  if (f.list) return val === "" ? [] : val.split(/\s*,\s*/).filter(Boolean);
  if (val === "") return f.required ? val : null;
  if (f.int && /^-?\d+$/.test(val)) return Number(val);
  return val;
}
