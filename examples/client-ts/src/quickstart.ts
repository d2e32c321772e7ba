// SPDX-License-Identifier: Apache-2.0
//
// The README's quick start, driven through a client generated from Roster's
// OpenAPI document: openapi-typescript turns the document into
// src/roster.d.ts, and openapi-fetch makes typed calls from it. This file
// must type-check with zero errors (a PATCH that sends one field, a
// response whose id is not optional) and run green against a real server:
//
//	ROSTER_URL=http://127.0.0.1:8080 ROSTER_KEY=<bootstrap key> node dist/quickstart.js
//
// The Go test TestGeneratedClientQuickStart (cmd/roster) runs it.
import createClient from "openapi-fetch";
import type { components, paths } from "./roster.js";

type User = components["schemas"]["UserResource"];
type Problem = components["schemas"]["Problem"];

const baseUrl = process.env.ROSTER_URL ?? "http://127.0.0.1:8080";
const key = process.env.ROSTER_KEY;
if (!key) {
  throw new Error("set ROSTER_KEY to an owner's API key");
}
const roster = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });

function check(cond: boolean, what: string): asserts cond {
  if (!cond) {
    throw new Error(`quick start: ${what}`);
  }
}

function fail(step: string, status: number, error: unknown): never {
  throw new Error(`${step}: ${status} ${JSON.stringify(error)}`);
}

// Who am I? (GET /v1/users/me)
const me = await roster.GET("/v1/users/{id}", { params: { path: { id: "me" } } });
if (me.error || !me.data) fail("who am I", me.response.status, me.error);
const myID: string = me.data.id; // required in responses: no `?? ""` needed
console.log(`me: ${myID} (${me.data.email})`);

// A client organisation under the root.
const org = await roster.POST("/v1/orgs", {
  body: { name: "Acme Fax", currency: "EUR", features: ["fax"], allowed_languages: ["en", "nl"] },
});
if (org.error || !org.data) fail("create organisation", org.response.status, org.error);
check(org.response.status === 201, `organisation: status ${org.response.status}`);
const orgID = org.data.id;

// A user in it.
const created = await roster.POST("/v1/users", {
  body: {
    organization_id: orgID,
    first_name: "Ann",
    last_name: "Lee",
    email: "ann@example.com",
    phone: { country: "NL", number: "020 123 4567" },
  },
});
if (created.error || !created.data) fail("create user", created.response.status, created.error);
const ann: User = created.data;
check(ann.version === 1 && ann.phone?.e164 === "+31201234567", `new user: ${JSON.stringify(ann)}`);

// Change one field (JSON Merge Patch), only if nobody changed it since
// version 1: the body names one field and nothing else.
const merged = await roster.PATCH("/v1/users/{id}", {
  params: { path: { id: ann.id }, header: { "If-Match": '"1"' } },
  body: { preferences: { language: "nl" } },
  headers: { "Content-Type": "application/merge-patch+json" },
});
if (merged.error || !merged.data) fail("merge patch", merged.response.status, merged.error);
check(merged.data.preferences.language === "nl" && merged.data.version === 2, `merge patch: ${JSON.stringify(merged.data)}`);
check(merged.response.headers.get("ETag") === '"2"', `ETag ${merged.response.headers.get("ETag")}`);

// null resets a field: the merge patch's schema says so.
const reset = await roster.PATCH("/v1/users/{id}", {
  params: { path: { id: ann.id } },
  body: { display_name: null },
  headers: { "Content-Type": "application/merge-patch+json" },
});
if (reset.error || !reset.data) fail("merge patch with null", reset.response.status, reset.error);

// The same precondition, now stale: 412, a problem document.
const stale = await roster.PATCH("/v1/users/{id}", {
  params: { path: { id: ann.id }, header: { "If-Match": '"1"' } },
  body: { last_name: "Smith" },
  headers: { "Content-Type": "application/merge-patch+json" },
});
check(stale.response.status === 412 && stale.error !== undefined, `stale If-Match: ${stale.response.status}`);

// Or a JSON Patch.
const patched = await roster.PATCH("/v1/users/{id}", {
  params: { path: { id: ann.id } },
  body: [{ op: "replace", path: "/availability", value: "unavailable" }],
  headers: { "Content-Type": "application/json-patch+json" },
});
if (patched.error || !patched.data) fail("JSON Patch", patched.response.status, patched.error);
check(patched.data.availability === "unavailable", `JSON Patch: ${patched.data.availability}`);

// Tag, search and list.
const tagged = await roster.POST("/v1/users/{id}/tags", {
  params: { path: { id: ann.id } },
  body: { tags: [{ name: "vip", color: "#ff0000" }] },
});
if (tagged.error || !tagged.data) fail("tag", tagged.response.status, tagged.error);
check(tagged.data.tags.some((t) => t.name === "vip"), "tag vip missing");

const found = await roster.GET("/v1/users", {
  params: { query: { q: "lee", tag: "vip", sort: "last_name", limit: 20 } },
});
if (found.error || !found.data) fail("search", found.response.status, found.error);
check(found.data.items.length === 1 && found.data.items[0]?.id === ann.id, `search: ${JSON.stringify(found.data.items.map((u) => u.id))}`);

// Every error is an RFC 9457 problem document naming each bad field.
const bad = await roster.POST("/v1/users", { body: { first_name: "", email: "nope" } });
check(bad.response.status === 422, `invalid user: status ${bad.response.status}`);
const problem: Problem | undefined = bad.error;
const locations = (problem?.errors ?? []).map((e) => e.location);
check(locations.includes("body.first_name") && locations.includes("body.email"), `problem: ${JSON.stringify(problem)}`);

// A key for Ann that may only read and edit herself; make Ann a manager of Acme.
const annKey = await roster.POST("/v1/api-keys", {
  body: { name: "ann laptop", user_id: ann.id, scopes: ["users:read", "users:write:self"] },
});
if (annKey.error || !annKey.data) fail("API key", annKey.response.status, annKey.error);
const member = await roster.PUT("/v1/orgs/{id}/members/{user_id}", {
  params: { path: { id: orgID, user_id: ann.id } },
  body: { roles: ["manager"] },
});
if (member.error || !member.data) fail("membership", member.response.status, member.error);

// Ann, with her own key, sees herself.
const asAnn = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${annKey.data.key}` } });
const self = await asAnn.GET("/v1/users/{id}", { params: { path: { id: "me" } } });
if (self.error || !self.data) fail("Ann's me", self.response.status, self.error);
check(self.data.id === ann.id && self.data.roles.includes("manager"), `Ann's me: ${JSON.stringify(self.data)}`);

console.log("quick start: all steps passed");
